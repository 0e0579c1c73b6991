// The compiled CLI's group send on the encrypt pool: `parley send --group` with the pool's threshold forced to
// one device (PARLEY_ENCRYPT_POOL_THRESHOLD), so the workers of dist/cli/encrypt-worker.mjs do the fan-out in a
// real CLI process against the real server. The workers start (no "encrypting in this process only" note), the
// members read the messages, and the process exits on its own after the send (idle workers never hold it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { jsonLines, ok, parley, startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const as = (who: string, ...args: string[]) => ['--profile', join(root, who), ...args];
const POOL = { env: { PARLEY_ENCRYPT_POOL_THRESHOLD: '1' } };

before(async () => {
  root = tempDir('groups-pool-cli');
  server = await startDevServer(join(root, 'server'));
  for (const who of ['alice', 'bob', 'dave']) await ok(as(who, 'login', '--server', server.url, '--user', who));
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('send --group through the compiled CLI on the worker pool; members read it; replies and the next send work', { timeout: 300_000 }, async () => {
  await ok(as('alice', 'groups', 'create', 'Pool', '--members', 'bob@acme.test,dave@acme.test'));
  for (const round of ['first', 'second']) {
    const r = await parley(as('alice', 'send', '--group', 'Pool', `${round} via the workers`), POOL);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sent to group Pool \(2 devices\)\n$/);
    assert.equal(r.stderr, '', 'no note that the workers could not start');
    for (const who of ['bob', 'dave']) {
      const got = jsonLines(await ok(as(who, 'receive', '--json'))).filter((m) => m.from === 'alice@acme.test').map((m) => m.text);
      assert.deepEqual(got, [`${round} via the workers`]);
    }
    await ok(as('bob', 'send', '--group', 'Pool', `bob answers the ${round}`));
    assert.deepEqual(jsonLines(await ok(as('alice', 'receive', '--json'))).map((m) => m.text), [`bob answers the ${round}`]);
  }
});
