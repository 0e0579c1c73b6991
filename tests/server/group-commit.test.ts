// The hub's group commit (server/delivery.ts): the acks and the sends of one turn of the event loop share one
// store transaction, and an ack that cannot be deleted fails no send. A real SQLite store in a temp dir and real
// sockets; only the delete is made to fail, by wrapping the store's own method.
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

const envelopeFor = (destUser: string, text: string): NewEnvelope => ({
  destUser, destDevice: 1, sourceUser: 'alice', sourceDevice: 1, type: 1, content: Buffer.from(text), serverTimestamp: Date.now(),
});

/** A hub on a real store, bob's device 1 attached over a real socket; the test gets the server side of it too. */
async function setUp(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-group-commit-'));
  const store = new SqliteStore(dir);
  const errors: string[] = [];
  const log = { error: (_o: unknown, msg: string) => errors.push(msg), warn() {}, info() {}, debug() {} } as unknown as FastifyBaseLogger;
  const hub = new DeliveryHub(store, log);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', (socket) => { hub.attach('bob', 1, socket); resolve(socket); }));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const frames: { type: string; envelope?: { id: string; content: string } }[] = [];
  let wake: (() => void) | undefined;
  client.on('message', (data) => { frames.push(JSON.parse(data.toString())); wake?.(); });
  const nextFrame = async () => {
    while (frames.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
    return frames.shift()!;
  };
  t.after(async () => {
    client.terminate();
    hub.shutdown();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  assert.equal((await nextFrame()).type, 'queue-empty');
  return { store, hub, errors, client, serverSide: await serverSide, nextFrame };
}

test('an ack and a send of the same turn share one transaction; both take effect', async (t) => {
  const { store, hub, client, serverSide, nextFrame } = await setUp(t);
  await hub.storeEnvelopes([envelopeFor('bob', 'first')]);
  const first = await nextFrame();
  assert.equal(Buffer.from(first.envelope!.content, 'base64').toString(), 'first');

  let transactions = 0;
  const transaction = store.transaction.bind(store);
  store.transaction = (fn) => { transactions++; return transaction(fn); };
  // Registered after the hub's own listener: runs in the turn the ack arrives in.
  let second: Promise<unknown> | undefined;
  serverSide.once('message', () => { second = hub.storeEnvelopes([envelopeFor('bob', 'second')]); });
  client.send(JSON.stringify({ type: 'ack', id: first.envelope!.id }));
  const delivered = await nextFrame();
  await second;
  assert.equal(Buffer.from(delivered.envelope!.content, 'base64').toString(), 'second');
  assert.equal(transactions, 1, 'the ack and the send were committed together');
  const queued = await store.envelopes.after('bob', 1, 0, 10);
  assert.deepEqual(queued.map((e) => Buffer.from(e.content).toString()), ['second'], 'the acked envelope is gone, the new one queued');
});

test('an ack that cannot be deleted fails no send of its commit, and is kept for delivery again', async (t) => {
  const { store, hub, errors, client, serverSide, nextFrame } = await setUp(t);
  await hub.storeEnvelopes([envelopeFor('bob', 'first')]);
  const first = await nextFrame();
  store.envelopes.deleteMany = () => Promise.reject(new Error('disk trouble'));
  let second: Promise<unknown> | undefined;
  serverSide.once('message', () => { second = hub.storeEnvelopes([envelopeFor('bob', 'second')]); });
  client.send(JSON.stringify({ type: 'ack', id: first.envelope!.id }));
  const delivered = await nextFrame();
  const stored = await second;
  assert.equal((stored as unknown[]).length, 1, 'the send was stored');
  assert.equal(Buffer.from(delivered.envelope!.content, 'base64').toString(), 'second');
  assert.deepEqual(errors, ['failed to delete acknowledged envelopes (they will be delivered again)']);
  const queued = await store.envelopes.after('bob', 1, 0, 10);
  assert.deepEqual(queued.map((e) => Buffer.from(e.content).toString()), ['first', 'second']);
});
