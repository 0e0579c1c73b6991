// The per-message send path stays cheap without going stale: a directory answer is reused for a steady
// stream of messages (one lookup, not one per message), a device the recipient adds meanwhile still gets
// the next message (the server's 409 replaces the list), and delivery receipts are batched (one receipt
// per burst, not one per message) while every message is still marked delivered.
// Real server with the dev IdP, real SQLCipher profiles, requests counted on the wire by a recording proxy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import type { Messenger, ReceivedMessage } from '../../electron/core/messenger.ts';
import { devDevice, drain, startDevServer, tempDir } from '../e2e/harness.ts';
import { startRecordingProxy, type RecordingProxy } from '../e2e/recording-proxy.ts';
import { waitFor } from '../support/wait-for.ts';

let server: RunningServer;
let aliceProxy: RecordingProxy;
let root: string;
const open: Messenger[] = [];

before(async () => {
  root = tempDir('send-path');
  server = await startDevServer(join(root, 'server'));
  aliceProxy = await startRecordingProxy(server.url);
});
after(async () => {
  for (const m of open) { try { m.close(); } catch { /* already closed */ } }
  await aliceProxy?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const lookups = (p: RecordingProxy) => p.requests.filter((r) => r.method === 'POST' && r.path === '/v1/directory/lookup').length;

test('a steady stream reuses the directory answer, and a device added meanwhile still gets the next message', async () => {
  const alice = await devDevice(open, join(root, 'alice'), aliceProxy.url, 'alice');
  const bob = await devDevice(open, join(root, 'bob'), server.url, 'bob');
  const before = lookups(aliceProxy);
  for (let i = 0; i < 5; i++) await alice.sendText('bob@acme.test', `steady ${i}`);
  assert.equal(lookups(aliceProxy) - before, 1, 'five messages in a row asked the directory once');
  assert.deepEqual((await drain(bob)).map((m) => m.text), [0, 1, 2, 3, 4].map((i) => `steady ${i}`));

  // Bob signs in on a second device after alice's lookup: the cached list is out of date, the server says
  // so (409) and the message reaches both devices anyway.
  const bobLaptop = await devDevice(open, join(root, 'bob-laptop'), server.url, 'bob');
  const sent = await alice.sendText('BOB@acme.test', 'after the new device');
  assert.equal(sent.recipientDevices, 2);
  assert.deepEqual((await drain(bobLaptop)).map((m) => m.text), ['after the new device']);
  assert.deepEqual((await drain(bob)).map((m) => m.text), ['after the new device']);

  // The 409 dropped the reused answer: the next resolve asks the directory and lists both devices.
  const { entry } = await alice.resolveContact('bob@acme.test');
  assert.equal(entry.devices.length, 2);
});

test('delivery receipts for a stream of messages are batched, and every message is marked delivered', async () => {
  const carol = await devDevice(open, join(root, 'carol'), server.url, 'carol');
  const dave = await devDevice(open, join(root, 'dave'), server.url, 'dave');
  await carol.sendText('dave@acme.test', 'hello'); // session set up before the stream
  await drain(dave);
  await carol.receive({}); // its receipt, out of the way
  const ac = new AbortController();
  const got: ReceivedMessage[] = [];
  const receiving = dave.receive({ onMessage: (m) => got.push(m), stopAfterDrainMs: Infinity, signal: ac.signal });
  const N = 20;
  const ids: string[] = [];
  try {
    for (let i = 0; i < N; i++) ids.push((await carol.sendText('dave@acme.test', `stream ${i}`)).messageId);
    await waitFor(() => got.length === N, { what: 'the stream at dave', timeoutMs: 30_000 });
  } finally {
    ac.abort();
    await receiving; // stopping sends what is still pending
  }

  // Counted where they arrive (whichever way dave's client sent them): one onDelivered per receipt message.
  const receipts: string[][] = [];
  await carol.receive({ onDelivered: (d) => receipts.push(d.messageIds) });
  assert.deepEqual(ids.filter((id) => !receipts.flat().includes(id)), [], 'every message of the stream was reported delivered');
  assert.ok(receipts.length >= 1 && receipts.length < N / 2, `${receipts.length} receipts for ${N} messages`);
  const conversationId = await carol.conversationIdFor('dave@acme.test');
  const statuses = carol.messages(conversationId, 100).filter((m) => ids.includes(m.id)).map((m) => m.status);
  assert.deepEqual([...new Set(statuses)], ['delivered']);
});
