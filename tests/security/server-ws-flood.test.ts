// Finding 2: one signed-in device flooding its delivery socket (770k one-byte frames in 15 s took the relay
// from 115 MB to 1.7 GB and left /healthz unanswered). The server now meters every socket: a flood is
// closed with 1008 after a bounded number of frames, a few bad frames get a few error answers and no more,
// while a device acking a large backlog as fast as it can is never cut off. The timing and memory side
// (healthz p99, RSS) is in tests/load/flood.test.ts against a server in its own process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { SEND_FRAME_BYTES } from '../../common/wire/socket-send.ts';
import { activeDevice, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';

let server: TestServer;
let alice: Registered, bob: Registered;
before(async () => {
  server = await startTestServer();
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
});
after(async () => { await server.cleanup(); });

interface Socket { ws: WebSocket; frames: any[]; closed: Promise<{ code: number; reason: string }> }

/** Frames that arrive with the upgrade response are emitted before `open` resolves: `ack` is set up first. */
function open(dev: Registered, opts: { ack?: boolean } = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: dev.auth });
    const frames: any[] = [];
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      frames.push(f);
      if (opts.ack && f.type === 'envelope') ws.send(JSON.stringify({ type: 'ack', id: f.envelope.id }));
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('error', reject);
  });
}

test('a flood of one-byte frames is cut off with 1008 after a bounded number of frames, with few error answers', async () => {
  const s = await open(alice);
  const FLOOD = 200_000;
  let sent = 0;
  // Send in slices so the close can land while we are still sending (as a real flooder would see it).
  for (; sent < FLOOD && s.ws.readyState === WebSocket.OPEN; sent += 5_000) {
    for (let i = 0; i < 5_000; i++) s.ws.send('x');
    await new Promise((r) => setImmediate(r));
  }
  const { code } = await s.closed;
  assert.equal(code, 1008, 'closed as a policy violation');
  const errors = s.frames.filter((f) => f.type === 'error');
  assert.ok(errors.length >= 1 && errors.length <= 5, `${errors.length} error frames`);
  assert.ok(errors.every((f) => f.error === 'invalid_frame'));
  // The device can come back (after its client backs off) and is served normally.
  const again = await open(alice);
  await waitForFrame(again, 'queue-empty');
  again.ws.close();
  await again.closed;
});

test('well-formed acks beyond the envelopes sent and the small allowance are a flood too (1008)', async () => {
  const s = await open(alice);
  await waitForFrame(s, 'queue-empty');
  const ack = JSON.stringify({ type: 'ack', id: '123456789' });
  for (let sent = 0; sent < 50_000 && s.ws.readyState === WebSocket.OPEN; sent += 1_000) {
    for (let i = 0; i < 1_000; i++) s.ws.send(ack);
    await new Promise((r) => setImmediate(r));
  }
  const { code, reason } = await s.closed;
  assert.deepEqual([code, reason], [1008, 'too many frames']);
  assert.equal(s.frames.filter((f) => f.type === 'error').length, 0, 'well-formed frames are not answered');
});

test('valid acks faster than any fixed rate are fine while they answer envelopes that were sent', async () => {
  // 3,000 envelopes queued for bob (written through a second connection to the server's database).
  const store = new SqliteStore(server.dataDir);
  try {
    for (let i = 0; i < 30; i++) {
      await store.envelopes.store(Array.from({ length: 100 }, () => ({
        destUser: bob.userId, destDevice: bob.deviceId, sourceUser: alice.userId, sourceDevice: alice.deviceId,
        type: 1 as const, content: Buffer.from('hello'), serverTimestamp: Date.now(),
      })));
    }
  } finally {
    await store.close();
  }
  const s = await open(bob, { ack: true });
  await waitForFrame(s, 'queue-empty', 30_000);
  assert.equal(s.frames.filter((f) => f.type === 'envelope').length, 3000);
  assert.equal(s.ws.readyState, WebSocket.OPEN, 'not cut off');
  // Every ack landed: a new connection finds the queue empty.
  s.ws.close();
  await s.closed;
  const t = await open(bob);
  await waitForFrame(t, 'queue-empty');
  assert.equal(t.frames.filter((f) => f.type === 'envelope').length, 0);
  t.ws.close();
  await t.closed;
});

test('a frame larger than any client frame closes the socket (1009) without being parsed', async () => {
  const s = await open(alice);
  // The largest client frame is a `send` frame (common/wire/socket-send.ts).
  s.ws.send(JSON.stringify({ type: 'ack', id: '1', pad: 'x'.repeat(SEND_FRAME_BYTES) }));
  assert.equal((await s.closed).code, 1009);
});

async function waitForFrame(s: Socket, type: string, timeoutMs = 10_000): Promise<void> {
  if (s.frames.some((f) => f.type === type)) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { s.ws.off('message', check); reject(new Error(`no ${type} frame within ${timeoutMs} ms`)); }, timeoutMs);
    function check() {
      if (!s.frames.some((f) => f.type === type)) return;
      clearTimeout(timer);
      s.ws.off('message', check);
      resolve();
    }
    // Registered after the recording listener, so the frame is in s.frames when this runs.
    s.ws.on('message', check);
  });
}
