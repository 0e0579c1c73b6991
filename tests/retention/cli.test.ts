// `parley disappearing` through the real CLI in child processes, against the real server and dev IdP:
// setting, showing (text and --json), groups, the org maximum and bad values (exit 2, one line, nothing sent).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { jsonLines, ok, parley, startDevServer, tempDir } from '../e2e/harness.ts';

let root: string;
let server: RunningServer;
const policy = { version: 'retention-cli-1', text: 'Work chats only.', rules: { retention: { maxDisappearingSeconds: 86_400 } } };
const as = (name: string, ...args: string[]) => ['--profile', join(root, name), ...args];

before(async () => {
  root = tempDir('retention-cli');
  server = await startDevServer(join(root, 'server'), 0, { policy });
  for (const user of ['alice', 'bob']) await ok(as(user, 'login', '--server', server.url, '--user', user, '--accept-policy'));
  await ok(as('alice', 'send', 'bob@acme.test', 'hello'));
  await ok(as('bob', 'receive'));
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('set, show and --json; the peer gets the timer and the system line', async () => {
  assert.equal(await ok(as('alice', 'disappearing', 'bob@acme.test')), 'disappearing messages with bob@acme.test: off\n');
  assert.equal(await ok(as('alice', 'disappearing', 'bob@acme.test', '1h')), 'disappearing messages with bob@acme.test: 1 hour\n');
  assert.equal(await ok(as('alice', 'disappearing', 'bob@acme.test', '60m')), 'disappearing messages with bob@acme.test: 1 hour (unchanged)\n');
  const received = jsonLines(await ok(as('bob', 'receive', '--json')));
  assert.deepEqual(received.filter((e) => e.kind === 'timer').map((e) => e.seconds), [3600]);
  const shown = JSON.parse(await ok(as('bob', 'disappearing', 'alice@acme.test', '--json')));
  assert.deepEqual([shown.seconds, shown.maxSeconds], [3600, 86_400]);
  const history = jsonLines(await ok(as('bob', 'history', 'alice@acme.test', '--json'))).flatMap((x) => (Array.isArray(x) ? x : [x]));
  assert.ok(JSON.stringify(history).includes('set disappearing messages to 1 hour'), 'the chat shows who set it');
  assert.equal(await ok(as('alice', 'disappearing', 'bob@acme.test', 'off')), 'disappearing messages with bob@acme.test: off\n');
});

test('groups: --group GROUP with and without a value', async () => {
  await ok(as('alice', 'groups', 'create', 'Ops', '--members', 'bob@acme.test'));
  assert.equal(await ok(as('alice', 'disappearing', '--group', 'Ops', '1d')), 'disappearing messages with group Ops: 1 day\n');
  await ok(as('bob', 'receive'));
  assert.equal(await ok(as('bob', 'disappearing', '--group', 'Ops')), 'disappearing messages with group Ops: 1 day\n');
});

test('bad values and the org maximum: exit 2 with one line, nothing changes', async () => {
  for (const bad of ['1y', '0s', '-1h', 'soon', '1.5h', '']) {
    const r = await parley(as('alice', 'disappearing', 'bob@acme.test', bad));
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
  }
  assert.match((await parley(as('alice', 'disappearing', 'bob@acme.test', 'soon'))).stderr, /^parley: not a timer: "soon" \(use 30s, 1h, 1d, 1w or off/);
  const over = await parley(as('alice', 'disappearing', 'bob@acme.test', '1w'));
  assert.equal(over.code, 2);
  assert.equal(over.stderr, 'parley: your organization allows disappearing messages of at most 1 day\n');
  assert.equal((await parley(as('alice', 'disappearing', 'bob@acme.test', '1h', 'extra'))).code, 2);
  assert.equal(await ok(as('alice', 'disappearing', 'bob@acme.test')), 'disappearing messages with bob@acme.test: off\n');
});
