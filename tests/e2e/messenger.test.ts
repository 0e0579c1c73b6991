// The client core against the real server and dev IdP, in-process: multi-device fan-out and the 409 fix-up,
// duplicate / out-of-order / replayed / tampered envelopes, and the verified-identity rules.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { RunningServer } from '../../server/app.ts';
import type { IncomingEnvelope } from '../../common/wire/schemas.ts';
import { defaultVault, Messenger, SafetyNumberChangedError } from '../../electron/core/messenger.ts';
import { LocalStore } from '../../electron/core/store/local-store.ts';
import { devDevice, drain, startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const open: Messenger[] = [];
const profileOf = new Map<Messenger, string>();

before(async () => {
  root = tempDir('messenger');
  server = await startDevServer(join(root, 'server'));
});
after(async () => {
  for (const m of open) m.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function device(profile: string, user: string): Promise<Messenger> {
  const m = await devDevice(open, join(root, profile), server.url, user);
  profileOf.set(m, join(root, profile));
  return m;
}

/** The device's credential, read from its profile's store through a second connection (as another process would). */
async function credentialOf(m: Messenger): Promise<string> {
  const dir = profileOf.get(m)!;
  const store = await LocalStore.open(dir, defaultVault(dir));
  try { return store.getMeta('credential')!; } finally { store.close(); }
}

/** Reads a device's queue over a raw socket without acking: what a client would get, untouched. */
async function peekQueue(m: Messenger): Promise<IncomingEnvelope[]> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${await credentialOf(m)}` } });
  const envs: IncomingEnvelope[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.type === 'envelope') envs.push(f.envelope);
      if (f.type === 'queue-empty') resolve();
    });
    ws.on('error', reject);
  });
  ws.close();
  return envs;
}

test('multi-device: every device of the recipient and the sender\'s other devices get the message; 409 is fixed up', async () => {
  const alice1 = await device('mv-alice1', 'alice');
  const bob = await device('mv-bob', 'bob');
  await alice1.sendText('bob@acme.test', 'before the second laptop');
  assert.deepEqual((await drain(bob)).map((m) => m.text), ['before the second laptop']);

  const alice2 = await device('mv-alice2', 'alice');
  assert.equal(alice2.me.deviceId, alice1.me.deviceId + 1);
  // alice1 does not know alice2 yet: the server answers 409 and the client adds the missing device.
  const sent = await alice1.sendText('bob@acme.test', 'from laptop one');
  assert.equal(sent.devices, 2, 'bob + alice2');
  const atBob = await drain(bob);
  assert.deepEqual(atBob.map((m) => [m.text, m.outgoing]), [['from laptop one', false]]);
  const atAlice2 = await drain(alice2);
  assert.deepEqual(atAlice2.map((m) => [m.text, m.outgoing, m.to]), [['from laptop one', true, 'bob@acme.test']]);
  assert.equal(atAlice2[0]!.conversationId, atBob[0]!.conversationId);

  // bob's reply reaches both of alice's devices (bob learns of alice2 through the directory / 409).
  const reply = await bob.sendText('alice@acme.test', 'got it');
  assert.equal(reply.devices, 2);
  assert.deepEqual((await drain(alice1)).map((m) => m.text), ['got it']);
  assert.deepEqual((await drain(alice2)).map((m) => m.text), ['got it']);
  assert.deepEqual(alice2.messages(atBob[0]!.conversationId).map((m) => [m.direction, m.body]),
    [['out', 'from laptop one'], ['in', 'got it']]);
});

test('envelopes: duplicate ignored, out of order decrypted, replay under a new id and tampering rejected, session survives', async () => {
  const carol = await device('env-carol', 'carol');
  const dave = await device('env-dave', 'dave');
  // No receipts here, so that dave's queue holds exactly the three text envelopes below.
  await carol.sendText('dave@acme.test', 'first');
  await drain(dave, false);
  await dave.sendText('carol@acme.test', 'ack');
  await drain(carol, false);
  for (const t of ['one', 'two', 'three']) await carol.sendText('dave@acme.test', t);
  const [e1, e2, e3] = await peekQueue(dave) as [IncomingEnvelope, IncomingEnvelope, IncomingEnvelope];

  assert.equal((await dave.handleEnvelope(e3)).message?.text, 'three', 'out of order: the newest first');
  assert.equal((await dave.handleEnvelope(e1)).message?.text, 'one');
  assert.deepEqual(await dave.handleEnvelope(e1), { duplicate: true }, 'the same envelope id again is a no-op');

  const replay = await dave.handleEnvelope({ ...e1, id: '999999001' });
  assert.ok(replay.rejected, 'the same ciphertext under a new id is rejected');
  assert.match(replay.rejected!.reason, /duplicate|replay/);

  const bytes = Buffer.from(e2.content, 'base64');
  bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff;
  const tampered = await dave.handleEnvelope({ ...e2, id: '999999002', content: bytes.toString('base64') });
  assert.ok(tampered.rejected, 'a tampered envelope is rejected');
  assert.equal((await dave.handleEnvelope(e2)).message?.text, 'two', 'the genuine one still decrypts after the tampered one');

  const conversation = dave.conversations().find((c) => c.peerUserId === carol.me.userId)!;
  assert.deepEqual(dave.messages(conversation.id).filter((m) => m.direction === 'in').map((m) => m.body), ['first', 'three', 'one', 'two']);
  // The queue still holds them (never acked above); a normal receive acks without storing twice.
  assert.deepEqual(await drain(dave), []);
  await carol.sendText('dave@acme.test', 'after all that');
  assert.deepEqual((await drain(dave)).map((m) => m.text), ['after all that']);
});

test('verified contact: a new device or key blocks sending until verified again; received messages are kept', async () => {
  const erin = await device('ver-alice', 'alice');
  const bob1 = await device('ver-bob1', 'bob');
  await erin.sendText('bob@acme.test', 'hello');
  await drain(bob1);
  const before = await erin.safetyNumber('bob@acme.test');
  await erin.markVerified('bob@acme.test');
  assert.equal((await erin.safetyNumber('bob@acme.test')).status, 'verified');

  const bob2 = await device('ver-bob2', 'bob');
  const now = await erin.safetyNumber('bob@acme.test');
  assert.notEqual(now.safetyNumber, before.safetyNumber, 'a new device changes the safety number');
  assert.equal(now.status, 'changed');
  await assert.rejects(erin.sendText('bob@acme.test', 'secret plans'), SafetyNumberChangedError);

  // bob2 writes first: the message is kept but held (its text unshown), and the contact shows as changed.
  await bob2.sendText('alice@acme.test', 'new laptop here');
  const got = await drain(erin);
  const held = got.find((m) => m.fromDevice === bob2.me.deviceId)!;
  assert.deepEqual([held.text, held.flag], ['', 'held']);
  assert.equal(erin.verificationStatus(bob1.me.userId), 'changed');
  await assert.rejects(erin.sendText('bob@acme.test', 'still blocked'), SafetyNumberChangedError);

  await erin.markVerified('bob@acme.test');
  assert.equal(erin.messages(held.conversationId).find((m) => m.id === held.messageId)!.body, 'new laptop here', 'verified: shown');
  const ok = await erin.sendText('bob@acme.test', 'verified again');
  assert.ok(ok.devices >= 2);
  assert.deepEqual((await drain(bob2)).map((m) => m.text), ['verified again']);
});

test('delivery receipts: the sender sees "delivered" once the recipient stored the message', async () => {
  const frank = await device('rc-carol', 'carol');
  const gina = await device('rc-dave', 'dave');
  const sent = await frank.sendText('dave@acme.test', 'did you get this?');
  const status = () => frank.messages(sent.conversationId).find((m) => m.id === sent.messageId)!.status;
  assert.equal(status(), 'sent');
  await drain(gina);
  const delivered: string[] = [];
  await frank.receive({ onDelivered: (d) => delivered.push(...d.messageIds) });
  assert.deepEqual(delivered, [sent.messageId]);
  assert.equal(status(), 'delivered');
  // (A receipt naming messages of another conversation changes nothing: tests/client/store.test.ts.)
});
