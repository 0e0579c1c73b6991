// queue-empty tells a socket that the queue it connected to has been pushed. It must come even when messages
// never stop arriving: the hub's pump reads again whenever something was stored meanwhile (delivery-connection.ts),
// and queue-empty used to wait for that loop to go quiet, so a busy device never heard it. A real SQLite store
// and real sockets; every queue read also stores one more envelope through the hub, as a stream of sends would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import WebSocket, { WebSocketServer } from 'ws';
import { DeliveryHub } from '../../server/delivery.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import type { NewEnvelope } from '../../server/store/types.ts';

const envelopeFor = (text: string): NewEnvelope => ({
  destUser: 'bob', destDevice: 1, sourceUser: 'alice', sourceDevice: 1, type: 1, content: Buffer.from(text), serverTimestamp: Date.now(),
});
const BACKLOG = 150; // more than one read (the pump reads 100 at a time)
const STREAMED = 200;

test('queue-empty comes right after the backlog while envelopes keep arriving, and nothing is lost or repeated', { timeout: 30_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-queue-empty-'));
  const store = new SqliteStore(dir);
  const log = { error() {}, warn() {}, info() {}, debug() {} } as unknown as FastifyBaseLogger;
  const hub = new DeliveryHub(store, log);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  let client: WebSocket | undefined;
  t.after(async () => {
    client?.terminate();
    hub.shutdown();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < BACKLOG; i++) await hub.storeEnvelopes([envelopeFor(`queued ${i}`)]);

  // Before every read of the queue one more send lands (the hub hands it to the busy pump: read once more),
  // until STREAMED did.
  let streamed = 0;
  const after = store.envelopes.after.bind(store.envelopes);
  store.envelopes.after = async (...args) => {
    if (streamed < STREAMED) await hub.storeEnvelopes([envelopeFor(`live ${streamed++}`)]);
    return after(...args);
  };

  wss.once('connection', (socket) => hub.attach('bob', 1, socket));
  client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const texts: string[] = [];
  let streamedAtQueueEmpty = -1;
  let wake: (() => void) | undefined;
  client.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.type === 'queue-empty') streamedAtQueueEmpty = streamed;
    else if (frame.type === 'envelope') texts.push(Buffer.from(frame.envelope.content, 'base64').toString());
    wake?.();
  });
  while (texts.length < BACKLOG + STREAMED || streamedAtQueueEmpty < 0) await new Promise<void>((resolve) => { wake = resolve; });

  assert.ok(streamedAtQueueEmpty < STREAMED / 2, `queue-empty came after ${streamedAtQueueEmpty} of ${STREAMED} streamed sends, not once the stream stopped`);
  const expected = [...Array.from({ length: BACKLOG }, (_, i) => `queued ${i}`), ...Array.from({ length: STREAMED }, (_, i) => `live ${i}`)];
  assert.deepEqual(texts, expected);
});
