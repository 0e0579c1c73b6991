// The offline outbox from the CLI: with the server down, `parley send` to a known contact keeps the message
// ("queued") instead of losing it; once the server is back on the same port, the next `receive` sends the
// queue in order and the recipient gets every message exactly once. Real server, CLI processes, SQLCipher.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { jsonLines, ok, parley, startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const alice = () => join(root, 'alice');
const bob = () => join(root, 'bob');

before(async () => {
  root = tempDir('outbox');
  mkdirSync(join(root, 'server'));
  server = await startDevServer(join(root, 'server'));
  await ok(['--profile', alice(), 'login', '--server', server.url, '--user', 'alice']);
  await ok(['--profile', bob(), 'login', '--server', server.url, '--user', 'bob']);
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('offline sends are queued, then sent in order when the server is back', async () => {
  await ok(['--profile', alice(), 'send', 'bob@acme.test', 'before the outage']);
  const port = Number(new URL(server.url).port);
  await server.close();

  for (const text of ['written offline 1', 'written offline 2']) {
    const out = await ok(['--profile', alice(), 'send', 'bob@acme.test', text]);
    assert.match(out, /^queued: the server cannot be reached, so the message to bob@acme\.test is kept on this device and sent, in order, at your next receive or send to them\.$/m);
  }
  // Someone this device never wrote to cannot be looked up offline: refused, nothing kept.
  const stranger = await parley(['--profile', alice(), 'send', 'dave@acme.test', 'hello?']);
  assert.equal(stranger.code, 1);

  server = await startDevServer(join(root, 'server'), port);
  await ok(['--profile', alice(), 'receive']);
  const got = jsonLines(await ok(['--profile', bob(), 'receive', '--json']));
  assert.deepEqual(got.map((m) => m.text), ['before the outage', 'written offline 1', 'written offline 2']);
  // Sent once: a second receive on alice's side sends nothing again.
  await ok(['--profile', alice(), 'receive']);
  assert.deepEqual(jsonLines(await ok(['--profile', bob(), 'receive', '--json'])), []);
});
