// The delivery guarantee, end to end through the real CLI: 100 messages each way, the recipient offline
// part of the time, the server restarted in the middle — every message arrives exactly once, in order,
// and no text is readable in any file on either side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { byteSearch, jsonLines, ok, parley, startDevServer, tempDir } from './harness.ts';

test('100 messages each way with offline periods and a server restart: exactly once, in order, nothing in the clear', { timeout: 900_000 }, async () => {
  const root = tempDir('hundred');
  const dataDir = join(root, 'server');
  let server: RunningServer = await startDevServer(dataDir);
  const port = Number(new URL(server.url).port);
  const alice = join(root, 'alice');
  const bob = join(root, 'bob');
  const tag = randomBytes(6).toString('hex');
  const textA = (i: number) => `a2b-${tag}-${String(i).padStart(3, '0')} quarterly numbers`;
  const textB = (i: number) => `b2a-${tag}-${String(i).padStart(3, '0')} see attachment`;
  const got: Record<'alice' | 'bob', Record<string, unknown>[]> = { alice: [], bob: [] };
  const warnings: string[] = [];
  const receive = async (who: 'alice' | 'bob', waitSeconds: number) => {
    const r = await parley(['--profile', who === 'alice' ? alice : bob, 'receive', '--json', '--wait', String(waitSeconds)]);
    const said = r.stderr.split('\n').filter((l) => l.trim() && l !== 'listening'); // the readiness line of --wait
    if (said.length > 0) warnings.push(`${who}: ${said.join('\n')}`);
    assert.equal(r.code, 0, r.stderr);
    got[who].push(...jsonLines(r.stdout));
  };
  const sendRange = async (from: string, to: string, text: (i: number) => string, first: number, last: number) => {
    for (let i = first; i <= last; i++) await ok(['--profile', from, 'send', to, text(i)]);
  };
  const restart = async () => {
    await server.close();
    server = await startDevServer(dataDir, port);
  };

  try {
    await ok(['--profile', alice, 'login', '--server', server.url, '--user', 'alice']);
    await ok(['--profile', bob, 'login', '--server', server.url, '--user', 'bob']);

    // 1. Both offline for each other: queues build up on the server.
    await Promise.all([
      sendRange(alice, 'bob@acme.test', textA, 1, 30),
      sendRange(bob, 'alice@acme.test', textB, 1, 30),
    ]);
    // 2. Bob comes online for a moment; Alice stays offline.
    await receive('bob', 0);
    await sendRange(alice, 'bob@acme.test', textA, 31, 45);
    // 3. The server restarts with both queues non-empty.
    await restart();
    // 4. Alice is online (a waiting receive) while Bob sends; Bob is offline while Alice sends.
    await Promise.all([
      receive('alice', 12),
      sendRange(bob, 'alice@acme.test', textB, 31, 60),
      sendRange(alice, 'bob@acme.test', textA, 46, 70),
    ]);
    await restart();
    // 5. Bob online and waiting while the rest goes both ways.
    await Promise.all([
      receive('bob', 15),
      sendRange(alice, 'bob@acme.test', textA, 71, 100),
      sendRange(bob, 'alice@acme.test', textB, 61, 100),
    ]);
    // 6. Both drain what is left.
    await receive('alice', 1);
    await receive('bob', 1);
    await receive('alice', 0);
    await receive('bob', 0);

    const expectA = Array.from({ length: 100 }, (_, i) => textA(i + 1));
    const expectB = Array.from({ length: 100 }, (_, i) => textB(i + 1));
    assert.deepEqual(got.bob.map((m) => m.text), expectA, `bob got alice's 100 messages once each, in order\n${warnings.join('\n')}`);
    assert.deepEqual(got.alice.map((m) => m.text), expectB, `alice got bob's 100 messages once each, in order\n${warnings.join('\n')}`);
    assert.ok(got.bob.every((m) => m.from === 'alice@acme.test') && got.alice.every((m) => m.from === 'bob@acme.test'));

    const hits = byteSearch(root, [...expectA, ...expectB, tag]);
    assert.deepEqual(hits, [], 'no message text in the server data dir or either profile');
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
