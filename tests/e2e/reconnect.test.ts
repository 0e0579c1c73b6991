// A waiting receiver survives a server restart: it reconnects and gets what was sent meanwhile, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loginNewDevice, type ReceivedMessage } from '../../electron/core/messenger.ts';
import { startDevServer, tempDir } from './harness.ts';
import { waitFor } from '../support/wait-for.ts';

test('receive reconnects after a server restart and delivers everything exactly once', async () => {
  const root = tempDir('reconnect');
  const dataDir = join(root, 'server');
  let server = await startDevServer(dataDir);
  const port = Number(new URL(server.url).port);
  const alice = await loginNewDevice(join(root, 'alice'), server.url, { kind: 'dev-user', username: 'alice' });
  const bob = await loginNewDevice(join(root, 'bob'), server.url, { kind: 'dev-user', username: 'bob' });
  try {
    const got: ReceivedMessage[] = [];
    const connection: boolean[] = [];
    const ac = new AbortController();
    const receiving = bob.receive({ onMessage: (m) => got.push(m), onConnectionChange: (c) => connection.push(c), stopAfterDrainMs: Infinity, signal: ac.signal });
    await alice.sendText('bob@acme.test', 'before restart');
    await waitFor(() => got.length === 1, { what: 'the first message' });
    await server.close();
    // Offline, the message is kept (the outbox) and goes out first at the next send.
    assert.equal((await alice.sendText('bob@acme.test', 'while down')).queued, true);
    server = await startDevServer(dataDir, port);
    await alice.sendText('bob@acme.test', 'after restart');
    await waitFor(() => got.length === 3, { timeoutMs: 15_000, what: 'the queued message and the one sent after the restart' });
    ac.abort();
    await receiving;
    assert.deepEqual(got.map((m) => m.text), ['before restart', 'while down', 'after restart']);
    assert.ok(connection.includes(false) && connection.at(-1) === true, `reconnected: ${connection}`);
  } finally {
    alice.close();
    bob.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
