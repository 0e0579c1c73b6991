// `send` frames on the delivery socket (server/socket-send.ts): the same send, checks and answers as
// POST /v1/messages, paired by `req`; and what a hostile device can and cannot do with them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WS_LIMITS } from '../../server/frame-meter.ts';
import { activeDevice, api, startTestServer, type Registered, type TestServer } from './helpers.ts';
import { SocketClient } from './ws-client.ts';

let server: TestServer;
let alice: Registered, bob: Registered;
before(async () => {
  server = await startTestServer({ statsK: 1 });
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
});
after(async () => { await server.cleanup(); });

const envelopeFor = (to: Registered, text: string) => ({
  userId: to.userId, deviceId: to.deviceId, registrationId: to.registrationId, type: 1, content: Buffer.from(text).toString('base64'),
});

/** Sends a frame and waits for its result (other frames are kept in order for the test). */
async function request(s: SocketClient, frame: Record<string, unknown>): Promise<any> {
  s.ws.send(JSON.stringify(frame));
  for (;;) {
    const f = await s.next();
    if (f.type === 'send-result' && f.req === frame.req) return f;
  }
}

async function connected(dev: Registered): Promise<SocketClient> {
  const s = await SocketClient.connect(server.url, dev.auth);
  assert.equal((await s.next()).type, 'queue-empty');
  return s;
}

test('a send frame is stored and delivered like POST /v1/messages, and answered with the same body', async () => {
  const a = await connected(alice);
  const b = await connected(bob);
  const before = Date.now();
  const r = await request(a, { type: 'send', req: 'r1', send: { recipient: bob.userId, envelopes: [envelopeFor(bob, 'over the socket')] } });
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.ok(r.body.serverTimestamp >= before);
  const got = await b.nextEnvelope();
  assert.equal(Buffer.from(got.content, 'base64').toString(), 'over the socket');
  assert.equal(got.sourceUser, alice.userId);
  assert.equal(got.sourceDevice, alice.deviceId);
  assert.equal(got.serverTimestamp, r.body.serverTimestamp);
  await a.close();
  await b.close();
});

test('refusals carry the route status and body: 409 with the device lists, 404 unknown user, 400 invalid request', async () => {
  const a = await connected(alice);
  const wrong = { ...envelopeFor(bob, 'x'), deviceId: bob.deviceId + 7 };
  const mismatch = await request(a, { type: 'send', req: 'm', send: { recipient: bob.userId, envelopes: [wrong] } });
  assert.equal(mismatch.status, 409);
  assert.equal(mismatch.body.error, 'mismatched_devices');
  assert.deepEqual(mismatch.body.missing, [{ userId: bob.userId, deviceId: bob.deviceId }]);
  assert.ok(Array.isArray(mismatch.body.devices[bob.userId]));
  const stale = await request(a, { type: 'send', req: 's', send: { recipient: bob.userId, envelopes: [{ ...envelopeFor(bob, 'x'), registrationId: (bob.registrationId % 16000) + 1 }] } });
  assert.equal(stale.status, 410);
  assert.equal(stale.body.error, 'stale_devices');
  const unknown = await request(a, { type: 'send', req: 'u', send: { recipient: 'u_AAAAAAAAAAAAAAAAAAAAAA', envelopes: [envelopeFor(bob, 'x')] } });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error, 'unknown_user');
  const invalid = await request(a, { type: 'send', req: 'i', send: { recipient: bob.userId, envelopes: [], extra: 1 } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.error, 'invalid_request');
  // No usable req: nothing to answer it with, so it is a malformed frame.
  a.ws.send(JSON.stringify({ type: 'send', req: '../../', send: {} }));
  const err = await a.next();
  assert.equal(err.type, 'error');
  assert.equal(err.error, 'invalid_frame');
  await a.close();
});

test('a repeated sendId is answered with the first result and delivered once', async () => {
  const a = await connected(alice);
  const b = await connected(bob);
  const sendId = randomBytes(16).toString('base64url');
  const frame = (req: string) => ({ type: 'send', req, send: { recipient: bob.userId, sendId, envelopes: [envelopeFor(bob, `once ${req}`)] } });
  const first = await request(a, frame('one'));
  const second = await request(a, frame('two'));
  assert.equal(first.status, 200);
  assert.deepEqual(second, { type: 'send-result', req: 'two', status: 200, body: { serverTimestamp: first.body.serverTimestamp } });
  assert.equal(Buffer.from((await b.nextEnvelope()).content, 'base64').toString(), 'once one');
  // Nothing else is queued for bob.
  const probe = await api(server.url, 'POST', '/v1/messages', { auth: alice.auth, body: { recipient: bob.userId, envelopes: [envelopeFor(bob, 'probe')] } });
  assert.equal(probe.status, 200);
  assert.equal(Buffer.from((await b.nextEnvelope()).content, 'base64').toString(), 'probe');
  await a.close();
  await b.close();
});

test('a device cannot send as another: the socket speaks for the device it authenticated, whatever the frame says', async () => {
  const a = await connected(alice);
  const b = await connected(bob);
  // Fields naming a sender are not part of the frame: refused as invalid, nothing delivered.
  const forged = await request(a, { type: 'send', req: 'f', send: { recipient: bob.userId, envelopes: [envelopeFor(bob, 'forged')], sourceUser: bob.userId } });
  assert.equal(forged.status, 400);
  const ok = await request(a, { type: 'send', req: 'g', send: { recipient: bob.userId, envelopes: [envelopeFor(bob, 'genuine')] } });
  assert.equal(ok.status, 200);
  const got = await b.nextEnvelope();
  assert.equal(Buffer.from(got.content, 'base64').toString(), 'genuine');
  assert.equal(got.sourceUser, alice.userId);
  await a.close();
  await b.close();
});

test('a revoked device loses its socket at once: a send frame after the revocation is never stored', async () => {
  const mallory = await activeDevice(server.url, 'dave');
  const other = await activeDevice(server.url, 'dave');
  const m = await connected(mallory);
  const b = await connected(bob);
  const removed = await api(server.url, 'DELETE', `/v1/devices/${mallory.deviceId}`, { auth: other.auth });
  assert.equal(removed.status, 200);
  assert.equal(await m.closed, 4003);
  if (m.ws.readyState === m.ws.OPEN) m.ws.send(JSON.stringify({ type: 'send', req: 'late', send: { recipient: bob.userId, envelopes: [envelopeFor(bob, 'late')] } }));
  // Bob's next envelope is the probe, not the late send.
  const probe = await api(server.url, 'POST', '/v1/messages', { auth: alice.auth, body: { recipient: bob.userId, envelopes: [envelopeFor(bob, 'after')] } });
  assert.equal(probe.status, 200);
  assert.equal(Buffer.from((await b.nextEnvelope()).content, 'base64').toString(), 'after');
  await b.close();
});

test('send frames have a budget per socket: beyond it, 429 rate_limited with retryAfterMs', async () => {
  const a = await connected(alice);
  // Invalid sends are the cheapest to make; each one still costs a token.
  const bad = (i: number) => JSON.stringify({ type: 'send', req: `b${i}`, send: { recipient: bob.userId, envelopes: [] } });
  // Beyond the burst by more than the refill of the time this takes (sendsPerSecond); fewer than the frame bucket.
  const n = WS_LIMITS.sendBurst + 150;
  for (let i = 0; i < n; i++) a.ws.send(bad(i));
  const results: any[] = [];
  while (results.length < n) {
    const f = await a.next();
    if (f.type === 'send-result') results.push(f);
  }
  const limited = results.filter((r) => r.status === 429);
  assert.ok(limited.length >= 1 && limited.length <= 150, `${limited.length} refused`);
  assert.equal(limited[0].body.error, 'rate_limited');
  assert.ok(limited[0].body.retryAfterMs > 0);
  assert.equal(results.filter((r) => r.status === 400).length, results.length - limited.length);
  await a.close();
});

test("socket sends count in the org's daily statistics like HTTP sends", async () => {
  const carol = await activeDevice(server.url, 'carol'); // an org admin of the dev IdP
  const relayed = async () => {
    const r = await api(server.url, 'GET', '/v1/admin/stats?days=1', { auth: carol.auth });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body.days.at(-1).messagesRelayed ?? 0) as number;
  };
  const before = await relayed();
  const a = await connected(alice);
  for (const req of ['s1', 's2']) {
    assert.equal((await request(a, { type: 'send', req, send: { recipient: bob.userId, envelopes: [envelopeFor(bob, req)] } })).status, 200);
  }
  assert.equal(await relayed(), before + 2);
  await a.close();
});
