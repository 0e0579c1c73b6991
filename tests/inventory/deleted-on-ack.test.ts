// The inventory's retention claim for queued envelopes: "deleted when the recipient device acknowledges it" —
// and deleted means gone from the files, not only from the queue. A real server; the recipient's socket acks;
// after the server stops (its last connection checkpoints the WAL) no byte of the envelope is left anywhere in
// the data directory (SQLite would otherwise keep deleted rows in free pages: secure_delete).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { activeDevice, api, startTestServer, type Registered } from '../server/helpers.ts';

/** Every file under `dir` that contains `needle`. */
function filesContaining(dir: string, needle: Buffer): string[] {
  const hits: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) hits.push(...filesContaining(p, needle));
    else if (readFileSync(p).includes(needle)) hits.push(p);
  }
  return hits;
}

test('an acknowledged envelope leaves no trace of its content in the data directory', async () => {
  const server = await startTestServer();
  const { dataDir } = server;
  // Random bytes: they cannot occur in the files by chance, and a page holding them is found wherever it sits.
  const marker = randomBytes(48);
  // One for carol stays queued beside it (so its page is not simply emptied): the search must find that one.
  const kept = randomBytes(48);
  try {
    const alice = await activeDevice(server.url, 'alice');
    const bob: Registered = await activeDevice(server.url, 'bob');
    const carol = await activeDevice(server.url, 'carol');
    const toCarol = await api(server.url, 'POST', '/v1/messages', {
      auth: alice.auth,
      body: { recipient: carol.userId, envelopes: [{ userId: carol.userId, deviceId: carol.deviceId, registrationId: carol.registrationId, type: 1, content: kept.toString('base64') }] },
    });
    assert.equal(toCarol.status, 200, JSON.stringify(toCarol.body));
    const sent = await api(server.url, 'POST', '/v1/messages', {
      auth: alice.auth,
      body: { recipient: bob.userId, envelopes: [{ userId: bob.userId, deviceId: bob.deviceId, registrationId: bob.registrationId, type: 1, content: marker.toString('base64') }] },
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));

    // Bob's device receives it, acks it, and a second socket (acks are handled before a new connection's
    // queue is read) finds the queue empty: the signal that the delete committed.
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: bob.auth });
    const envelope = await new Promise<{ id: string; content: string }>((resolve, reject) => {
      ws.on('message', (d) => { const f = JSON.parse(d.toString()); if (f.type === 'envelope') resolve(f.envelope); });
      ws.once('error', reject);
    });
    assert.equal(Buffer.from(envelope.content, 'base64').compare(marker), 0);
    ws.send(JSON.stringify({ type: 'ack', id: envelope.id }));
    const closed = new Promise((r) => ws.once('close', r));
    const again = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: bob.auth });
    const frames: any[] = [];
    await new Promise<void>((resolve, reject) => {
      again.on('message', (d) => { const f = JSON.parse(d.toString()); frames.push(f); if (f.type === 'queue-empty') resolve(); });
      again.once('error', reject);
    });
    assert.deepEqual(frames.filter((f) => f.type === 'envelope'), [], 'the acknowledged envelope was delivered again');
    again.close();
    await closed;
  } finally {
    await server.close();
  }
  try {
    assert.equal(filesContaining(dataDir, kept).length, 1, 'the unacknowledged envelope is in the database file');
    assert.deepEqual(filesContaining(dataDir, marker), [], 'the acknowledged envelope\'s bytes are still on disk');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
