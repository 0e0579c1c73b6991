// Remote wipe and revocation end to end: org admins only, immediate effects on the device's credential,
// queue, prekeys, socket and visibility, signed wipe receipts, and the append-only hash-chained audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import WebSocket from 'ws';
import Database from '@signalapp/sqlcipher';
import { Value } from 'typebox/value';
import { ServerFrame } from '../../common/wire/schemas.ts';
import { CLOSE_REVOKED, CLOSE_WIPED } from '../../common/close-codes.ts';
import { AdminActionResponse, AdminUsersResponse, AuditResponse, DeviceStatusResponse, signedText } from '../../common/wire/lifecycle.ts';
import { SqliteStore, DB_FILE } from '../../server/store/sqlite.ts';
import { verifyAuditChain } from '../../server/audit.ts';
import { waitFor } from '../support/wait-for.ts';
import { activeDevice, api, keyUpload, lifecycleKeyPair, startTestServer, type Registered, type TestServer } from './helpers.ts';
import { ErrorCode } from '../../common/errors.ts';

/** A delivery socket that records frames and the close code. */
class Socket {
  readonly frames: any[] = [];
  readonly closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      assert.ok(Value.Check(ServerFrame, frame), `invalid server frame ${data.toString()}`);
      this.frames.push(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  static connect(serverUrl: string, auth: { authorization: string }): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${serverUrl.replace('http', 'ws')}/v1/ws`, { headers: auth });
      const s = new Socket(ws);
      ws.once('open', () => resolve(s));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  waitFor(pred: (f: any) => boolean, timeoutMs = 3000): Promise<void> {
    return waitFor(() => this.frames.some(pred), { timeoutMs, what: 'a matching delivery frame' });
  }
}

let server: TestServer;
let alice: Registered, bob: Registered, carol: Registered, dave: Registered;
before(async () => {
  server = await startTestServer();
  [alice, bob, carol, dave] = await Promise.all([
    activeDevice(server.url, 'alice'), activeDevice(server.url, 'bob'), activeDevice(server.url, 'carol'), activeDevice(server.url, 'dave'),
  ]);
});
after(async () => { await server.cleanup(); });

const text = (s: string) => Buffer.from(s).toString('base64');
const envelopeFor = (to: Registered, body = 'hi') =>
  ({ userId: to.userId, deviceId: to.deviceId, registrationId: to.registrationId, type: 1, content: text(body) });
const send = (from: Registered, to: Registered, envelopes = [envelopeFor(to)]) =>
  api(server.url, 'POST', '/v1/messages', { auth: from.auth, body: { recipient: to.userId, envelopes } });

function receipt(dev: Registered, opts: { steps?: string[]; signedSteps?: string[]; wipedAt?: number; sign?: (t: string) => string } = {}) {
  const wipedAt = opts.wipedAt ?? Date.now();
  const steps = opts.steps ?? ['marker-written', 'key-destroyed', 'store-closed', 'files-deleted'];
  const signature = (opts.sign ?? dev.lifecycle.sign)(signedText.receipt(dev.userId, dev.deviceId, wipedAt, opts.signedSteps ?? steps));
  return api(server.url, 'POST', '/v1/lifecycle/wipe-receipt', { body: { userId: dev.userId, deviceId: dev.deviceId, wipedAt, steps, signature } });
}
function status(dev: Registered) {
  const timestamp = Date.now();
  return api(server.url, 'POST', '/v1/lifecycle/status', {
    body: { userId: dev.userId, deviceId: dev.deviceId, timestamp, signature: dev.lifecycle.sign(signedText.status(dev.userId, dev.deviceId, timestamp)) },
  });
}
async function audit(limit?: number): Promise<any[]> {
  const res = await api(server.url, 'GET', `/v1/admin/audit${limit ? `?limit=${limit}` : ''}`, { auth: carol.auth });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(Value.Check(AuditResponse, res.body));
  return res.body.entries;
}
async function deviceState(dev: Registered): Promise<string> {
  const res = await api(server.url, 'GET', '/v1/admin/users', { auth: carol.auth });
  return res.body.users.find((u: any) => u.userId === dev.userId).devices.find((d: any) => d.deviceId === dev.deviceId).state;
}

test('non-admins get 403 forbidden (JSON) on every admin route, whatever they send; no credential → 401', async () => {
  const routes: Array<[string, string, unknown?]> = [
    ['GET', '/v1/admin/users'], ['GET', '/v1/admin/users?email=bob@acme.test'], ['GET', '/v1/admin/audit'],
    ['POST', '/v1/admin/wipe', { userId: bob.userId }], ['POST', '/v1/admin/revoke', { email: 'bob@acme.test' }],
    ['POST', '/v1/admin/wipe', { bogus: true }], ['GET', '/v1/admin/audit?limit=abc'],
  ];
  for (const who of [alice, bob]) {
    for (const [method, path, body] of routes) {
      const res = await api(server.url, method, path, { auth: who.auth, ...(body ? { body } : {}) });
      assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.error?.code, ErrorCode.forbidden);
      assert.equal(typeof res.body.message, 'string');
    }
  }
  for (const [method, path, body] of routes) {
    const res = await api(server.url, method, path, body ? { body } : {});
    assert.equal(res.status, 401, `${method} ${path}`);
  }
  assert.equal(await deviceState(bob), 'active', 'nothing happened to bob');
});

test('an org admin lists all users with all devices and states; ?email= filters', async () => {
  const res = await api(server.url, 'GET', '/v1/admin/users', { auth: carol.auth });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(Value.Check(AdminUsersResponse, res.body));
  const byEmail = new Map(res.body.users.map((u: any) => [u.email, u]));
  for (const [email, dev] of [['alice@acme.test', alice], ['bob@acme.test', bob], ['carol@acme.test', carol], ['dave@acme.test', dave]] as const) {
    const u: any = byEmail.get(email);
    assert.ok(u, email);
    assert.equal(u.userId, dev.userId);
    assert.equal(u.orgAdmin, email === 'carol@acme.test');
    assert.deepEqual(u.devices.map((d: any) => [d.id, d.deviceId, d.state]), [[`${dev.userId}.${dev.deviceId}`, dev.deviceId, 'active']]);
    assert.equal(u.devices[0].name, `${email.split('@')[0]}'s laptop`);
  }
  const one = await api(server.url, 'GET', '/v1/admin/users?email=BOB@acme.test', { auth: carol.auth });
  assert.deepEqual(one.body.users.map((u: any) => u.userId), [bob.userId]);
  const none = await api(server.url, 'GET', '/v1/admin/users?email=nobody@acme.test', { auth: carol.auth });
  assert.deepEqual(none.body, { users: [] });
});

test('action targets: exactly one of email | userId | userId+deviceId (400 invalid_target), unknown → 404', async () => {
  for (const body of [{}, { reason: 'x' }, { email: 'bob@acme.test', userId: bob.userId }, { deviceId: 1 }, { email: 'bob@acme.test', deviceId: 1 }]) {
    for (const path of ['/v1/admin/wipe', '/v1/admin/revoke']) {
      const res = await api(server.url, 'POST', path, { auth: carol.auth, body });
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.error?.code, ErrorCode.invalid_target);
    }
  }
  const bad = await api(server.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { userId: 'not-a-user-id' } });
  assert.equal(bad.status, 400);
  const unknownEmail = await api(server.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { email: 'nobody@acme.test' } });
  assert.equal(unknownEmail.status, 404);
  assert.equal(unknownEmail.error?.code, ErrorCode.unknown_user);
  const unknownUser = await api(server.url, 'POST', '/v1/admin/revoke', { auth: carol.auth, body: { userId: `u_${'A'.repeat(22)}` } });
  assert.equal(unknownUser.status, 404);
  const unknownDevice = await api(server.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { userId: bob.userId, deviceId: 99 } });
  assert.equal(unknownDevice.status, 404);
  assert.equal(unknownDevice.error?.code, ErrorCode.unknown_device);
  assert.equal(await deviceState(bob), 'active');
  // Only the policy in force and the sign-ups (device registrations, accounts made just in time) are in the log:
  // refused requests add nothing.
  assert.deepEqual((await audit()).filter((e: any) => !['policy changed', 'device registered', 'user created'].includes(e.action)), [], 'refused requests leave no audit entries');
});

test('wipe: credential refused at once, queue and prekeys gone, socket gets {type:wipe} + 4001, others get 409 extra', async () => {
  const socket = await Socket.connect(server.url, bob.auth);
  await socket.waitFor((f) => f.type === 'queue-empty');
  // Two envelopes for bob: delivered but not acked, so still queued on the server.
  assert.equal((await send(alice, bob, [envelopeFor(bob, 'one')])).status, 200);
  assert.equal((await send(alice, bob, [envelopeFor(bob, 'two')])).status, 200);
  await socket.waitFor((f) => f.type === 'envelope' && Buffer.from(f.envelope.content, 'base64').toString() === 'two');

  const res = await api(server.url, 'POST', '/v1/admin/wipe', {
    auth: carol.auth, body: { userId: bob.userId, deviceId: bob.deviceId, reason: 'laptop stolen' },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(Value.Check(AdminActionResponse, res.body));
  assert.deepEqual(res.body.devices, [{ userId: bob.userId, deviceId: bob.deviceId }]);

  // The open socket: the wipe frame, then close 4001.
  assert.equal(await socket.closed, CLOSE_WIPED);
  assert.deepEqual(socket.frames.at(-1), { type: 'wipe' });

  // The credential is refused immediately, everywhere.
  for (const [method, path, body] of [['GET', '/v1/devices/me'], ['GET', '/v1/keys/count'], ['PUT', '/v1/keys', keyUpload([9])], ['GET', `/v1/users/${alice.userId}`]] as const) {
    const r = await api(server.url, method, path, { auth: bob.auth, ...(body ? { body } : {}) });
    assert.equal(r.status, 401, `${method} ${path}`);
    assert.equal(r.error?.code, ErrorCode.device_wiped);
    assert.match(r.body.message, /wiped/);
  }
  await assert.rejects(Socket.connect(server.url, bob.auth), (err: any) => err.status === 401);

  // Queued envelopes and one-time prekeys were deleted with the admin action.
  const store = new SqliteStore(server.dataDir);
  try {
    assert.deepEqual(await store.envelopes.after(bob.userId, bob.deviceId, 0, 100), []);
    assert.equal(await store.keys.countPreKeys(bob.userId, bob.deviceId), 0);
  } finally {
    await store.close();
  }

  // Others stop encrypting to it: gone from the directory and bundles; a send to it is 409 extra.
  const dir = await api(server.url, 'GET', `/v1/users/${bob.userId}`, { auth: alice.auth });
  assert.deepEqual(dir.body.devices, []);
  const bundles = await api(server.url, 'GET', `/v1/keys/${bob.userId}`, { auth: alice.auth });
  assert.deepEqual(bundles.body.devices, []);
  const stillSending = await send(alice, bob);
  assert.equal(stillSending.status, 409, JSON.stringify(stillSending.body));
  assert.equal(stillSending.error?.code, ErrorCode.mismatched_devices);
  assert.deepEqual(stillSending.body.extra, [{ userId: bob.userId, deviceId: bob.deviceId }]);
  assert.deepEqual(stillSending.body.devices[bob.userId], []);

  assert.equal(await deviceState(bob), 'wipe-pending');
  const [entry] = await audit(1);
  assert.equal(entry.id, res.body.auditId);
  assert.equal(entry.action, 'wipe requested');
  assert.deepEqual(entry.actor, { userId: carol.userId, email: 'carol@acme.test' });
  assert.deepEqual(entry.target, { userId: bob.userId, email: 'bob@acme.test', deviceId: bob.deviceId });
  assert.equal(entry.reason, 'laptop stolen');
  assert.equal(entry.outcome, 'pending: device will confirm');

  // The device's signed status check says: wipe, with when and why.
  const st = await status(bob);
  assert.equal(st.status, 200, JSON.stringify(st.body));
  assert.ok(Value.Check(DeviceStatusResponse, st.body));
  assert.equal(st.body.status, 'wipe');
  assert.deepEqual(st.body.wipe, { requestedAt: entry.at, reason: 'laptop stolen' });
  assert.equal(st.body.lease, undefined);
});

test('wipe receipts: forged ones are refused and write nothing (unauthenticated); a valid one confirms the wipe', async () => {
  const [requested] = await audit(1);
  const forged = await receipt(bob, { sign: lifecycleKeyPair().sign });
  assert.equal(forged.status, 401, JSON.stringify(forged.body));
  assert.equal(forged.error?.code, ErrorCode.invalid_signature);
  let [entry] = await audit(1);
  assert.equal(entry.id, requested.id, 'a refused receipt adds no audit entry');

  // Signed for fewer steps than it claims: refused too, and not audited either.
  const altered = await receipt(bob, { steps: ['key-destroyed', 'store-closed', 'files-deleted'], signedSteps: ['key-destroyed'] });
  assert.equal(altered.status, 401);
  [entry] = await audit(1);
  assert.equal(entry.id, requested.id);
  assert.equal(await deviceState(bob), 'wipe-pending');

  const future = await receipt(bob, { wipedAt: Date.now() + 60 * 60_000 });
  assert.equal(future.status, 400);
  assert.equal(future.error?.code, ErrorCode.invalid_timestamp);
  assert.equal(await deviceState(bob), 'wipe-pending');

  const ok = await receipt(bob);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body, { confirmed: true });
  assert.equal(await deviceState(bob), 'wiped');
  [entry] = await audit(1);
  assert.equal(entry.action, 'wipe confirmed');
  assert.equal(entry.reason, 'laptop stolen');
  assert.match(entry.outcome, /marker-written, key-destroyed, store-closed, files-deleted/);
  const confirmedId = entry.id;

  // Idempotent: a retransmitted receipt is confirmed again, with no second entry.
  assert.deepEqual((await receipt(bob)).body, { confirmed: true });
  assert.equal((await audit(1))[0].id, confirmedId);

  // A wiped device still hears "wipe" (it may have crashed mid-wipe), and stays locked out.
  assert.equal((await status(bob)).body.status, 'wipe');
  assert.equal((await api(server.url, 'PUT', '/v1/keys', { auth: bob.auth, body: keyUpload([1]) })).error?.code, ErrorCode.device_wiped);
  await assert.rejects(Socket.connect(server.url, bob.auth), (err: any) => err.status === 401);
  // Wiping it again changes nothing but is audited.
  const again = await api(server.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { email: 'bob@acme.test' } });
  assert.equal(again.status, 200);
  [entry] = await audit(1);
  assert.equal(entry.outcome, 'unchanged: already wiped');
  assert.equal(await deviceState(bob), 'wiped');
});

test('revoke: socket closed with 4003, 401 device_revoked, status says revoked; a later wipe still applies', async () => {
  const socket = await Socket.connect(server.url, dave.auth);
  await socket.waitFor((f) => f.type === 'queue-empty');
  const res = await api(server.url, 'POST', '/v1/admin/revoke', { auth: carol.auth, body: { email: 'Dave@acme.test', reason: 'left the company' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.devices, [{ userId: dave.userId, deviceId: dave.deviceId }]);
  assert.equal(await socket.closed, CLOSE_REVOKED);
  assert.equal(socket.frames.some((f) => f.type === 'wipe'), false);

  const me = await api(server.url, 'GET', '/v1/devices/me', { auth: dave.auth });
  assert.equal(me.status, 401);
  assert.equal(me.error?.code, ErrorCode.device_revoked);
  await assert.rejects(Socket.connect(server.url, dave.auth), (err: any) => err.status === 401);
  assert.equal((await status(dave)).body.status, 'revoked');
  assert.equal((await receipt(dave)).status, 409);
  assert.equal((await send(alice, dave)).status, 409);
  const [entry] = await audit(1);
  assert.equal(entry.id, res.body.auditId);
  assert.equal(entry.action, 'device revoked');
  assert.equal(entry.outcome, 'revoked');
  assert.equal(entry.reason, 'left the company');

  // A revoke never cancels a pending wipe…
  const wipe = await api(server.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { userId: dave.userId } });
  assert.equal(wipe.status, 200);
  assert.equal(await deviceState(dave), 'wipe-pending');
  const revokeAgain = await api(server.url, 'POST', '/v1/admin/revoke', { auth: carol.auth, body: { userId: dave.userId, deviceId: dave.deviceId } });
  assert.equal(revokeAgain.status, 200);
  assert.equal(await deviceState(dave), 'wipe-pending');
  assert.equal((await audit(1))[0].outcome, 'unchanged: wipe pending');
  assert.equal((await status(dave)).body.status, 'wipe');
});

test('a user-wide wipe hits every device, one audit entry each; auditId is the last', async () => {
  const second = await activeDevice(server.url, 'alice');
  const res = await api(server.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { email: 'alice@acme.test', reason: 'offboarding' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.devices, [{ userId: alice.userId, deviceId: alice.deviceId }, { userId: alice.userId, deviceId: second.deviceId }]);
  const [last, first] = await audit(2);
  assert.equal(last.id, res.body.auditId);
  assert.equal(first.id, res.body.auditId - 1);
  assert.deepEqual([first.target.deviceId, last.target.deviceId], [alice.deviceId, second.deviceId]);
  for (const e of [first, last]) assert.equal(e.action, 'wipe requested');
  for (const dev of [alice, second]) assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: dev.auth })).error?.code, ErrorCode.device_wiped);
  // A fresh sign-in still registers a new device (the IdP decides who may use Parley).
  const fresh = await activeDevice(server.url, 'alice');
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: fresh.auth })).status, 200);
});

test('audit log: newest first, limit, the hash chain verifies, and SQLite refuses UPDATE and DELETE', async () => {
  const entries = await audit();
  assert.ok(entries.length >= 9, `${entries.length} entries`);
  assert.deepEqual(entries.map((e) => e.id), [...entries.map((e) => e.id)].sort((a, b) => b - a));
  assert.equal((await audit(3)).length, 3);
  const chain = [...entries].reverse();
  assert.equal(verifyAuditChain(chain), null);
  // Tampering with any entry breaks the chain at that entry.
  const tampered = chain.map((e, i) => (i === 2 ? { ...e, reason: 'nothing to see' } : e));
  assert.equal(verifyAuditChain(tampered), chain[2].id);
  assert.equal(verifyAuditChain(chain.filter((_, i) => i !== 1)), chain[2].id);

  const db = new Database(join(server.dataDir, DB_FILE));
  try {
    assert.throws(() => db.prepare("UPDATE audit_log SET reason = 'x' WHERE id = 1").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit_log WHERE id = 1').run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit_log').run(), /append-only/);
  } finally {
    db.close();
  }
  assert.deepEqual(await audit(), entries, 'unchanged');
});
