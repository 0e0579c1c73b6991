// Workplace rules on the relay, through the real server over real sockets with an injected clock: consent required
// → accepted, held delivery and release at the next working period, urgent allowed / refused / audited, and a
// change of hours releasing held messages at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../common/errors.ts';
import { SocketClient as Client } from '../server/ws-client.ts';
import { activeDevice, api, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';

const BERLIN = { timeZone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:30' };
const POLICY = { version: 'v1-test', text: 'Use Parley for work.', rules: { workingHours: BERLIN, urgent: 'admins' as const } };
const SATURDAY_NOON = Date.parse('2026-11-28T12:00:00Z');
const MONDAY_9_BERLIN = Date.parse('2026-11-30T08:00:00Z');

let server: TestServer;
/** The server's clock: real time while devices register (ID tokens carry real times), then set by the tests. */
let fixed: number | undefined;
let alice1: Registered, alice2: Registered, bob: Registered, carol: Registered;
before(async () => {
  server = await startTestServer({ policy: POLICY as any, now: () => fixed ?? Date.now(), heldReleaseIntervalMs: 50 });
  alice1 = await activeDevice(server.url, 'alice');
  alice2 = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
  carol = await activeDevice(server.url, 'carol');
});
after(async () => { await server.cleanup(); });

const env = (d: Registered, text: string) => ({
  userId: d.userId, deviceId: d.deviceId, registrationId: d.registrationId, type: 1, content: Buffer.from(text).toString('base64'),
});
const toBob = (from: Registered, others: Registered[], text: string, extra: Record<string, unknown> = {}) =>
  api(server.url, 'POST', '/v1/messages', { auth: from.auth, body: { recipient: bob.userId, envelopes: [env(bob, text), ...others.map((o) => env(o, text))], ...extra } });
const text = (e: { content: string }) => Buffer.from(e.content, 'base64').toString();
const accept = (d: Registered) => api(server.url, 'POST', '/v1/consent', { auth: d.auth, body: { version: POLICY.version } });

test('consent: sending and fetching are refused until the current policy version is accepted; admins see who accepted when', async () => {
  fixed = undefined;
  const refused = await toBob(alice1, [alice2], 'too early');
  assert.deepEqual([refused.status, refused.error?.code], [403, ErrorCode.consent_required]);
  await assert.rejects(Client.connect(server.url, bob.auth), (err: { status: number; body: string }) =>
    err.status === 403 && JSON.parse(err.body).error === ErrorCode.consent_required);
  assert.deepEqual((await api(server.url, 'GET', '/v1/consent', { auth: alice1.auth })).body, { version: 'v1-test', accepted: false, required: true });

  const stale = await api(server.url, 'POST', '/v1/consent', { auth: alice1.auth, body: { version: 'v0-old' } });
  assert.deepEqual([stale.status, stale.error?.code], [409, ErrorCode.policy_changed]);
  fixed = Date.parse('2026-11-27T10:00:00Z');
  const ok = await api(server.url, 'POST', '/v1/consent', { auth: alice2.auth, body: { version: 'v1-test' } });
  assert.deepEqual(ok.body, { version: 'v1-test', accepted: true, required: true, acceptedAt: fixed, deviceId: alice2.deviceId });
  // Accepting again keeps the first record.
  fixed += 60_000;
  assert.equal((await accept(alice1)).body.acceptedAt, Date.parse('2026-11-27T10:00:00Z'));
  for (const d of [bob, carol]) assert.equal((await accept(d)).status, 200);

  assert.deepEqual((await api(server.url, 'GET', '/v1/admin/consent', { auth: alice1.auth })).error?.code, ErrorCode.forbidden);
  const list = await api(server.url, 'GET', '/v1/admin/consent', { auth: carol.auth });
  assert.equal(list.status, 200);
  const alice = list.body.users.find((u: { email: string }) => u.email === 'alice@acme.test');
  assert.deepEqual(alice, { userId: alice1.userId, email: 'alice@acme.test', name: 'Alice Archer', version: 'v1-test', acceptedAt: Date.parse('2026-11-27T10:00:00Z'), deviceId: alice2.deviceId, current: true });
  const audit = await api(server.url, 'GET', '/v1/admin/audit', { auth: carol.auth });
  assert.ok(audit.body.entries.some((e: any) => e.action === 'consent accepted' && e.actor.email === 'alice@acme.test'), 'consent is in the audit log');
});

test('held delivery: off-work recipients get it at their next working period; urgent goes at once (admins only here) and is audited', async () => {
  fixed = SATURDAY_NOON;
  const bobSocket = await Client.connect(server.url, bob.auth);
  assert.deepEqual(await bobSocket.drain({ ack: true }), []);
  const alice2Socket = await Client.connect(server.url, alice2.auth);
  await alice2Socket.drain({ ack: true });

  // The sender sees it before sending: the directory says Bob is off until Monday 09:00 Berlin.
  const entry = await api(server.url, 'GET', '/v1/directory?email=bob@acme.test', { auth: alice1.auth });
  assert.deepEqual(entry.body.availability, { offUntil: MONDAY_9_BERLIN, timeZone: 'Europe/Berlin' });

  const sent = await toBob(alice1, [alice2], 'weekend thought');
  assert.equal(sent.status, 200);
  assert.deepEqual(sent.body.heldUntil, { [bob.userId]: MONDAY_9_BERLIN });
  // The sender's own other device has its copy at once.
  assert.equal(text(await alice2Socket.nextEnvelope()), 'weekend thought');

  const notAllowed = await toBob(alice1, [alice2], 'urgent from alice', { urgent: true });
  assert.deepEqual([notAllowed.status, notAllowed.error?.code], [403, ErrorCode.urgent_not_allowed]);
  const urgent = await api(server.url, 'POST', '/v1/messages', { auth: carol.auth, body: { recipient: bob.userId, envelopes: [env(bob, 'server room on fire')], urgent: true } });
  assert.equal(urgent.status, 200);
  assert.equal(urgent.body.heldUntil, undefined);
  const first = await bobSocket.nextEnvelope();
  assert.equal(text(first), 'server room on fire', 'the urgent message arrives, the held one does not');

  const audit = await api(server.url, 'GET', '/v1/admin/audit', { auth: carol.auth });
  const override = audit.body.entries.find((e: any) => e.action === 'urgent override');
  assert.ok(override, 'the urgent override is audited');
  assert.equal(override.actor.email, 'carol@acme.test');
  assert.equal(override.target.email, 'bob@acme.test');
  assert.equal(override.at, SATURDAY_NOON);
  assert.ok(!JSON.stringify(override).includes('fire'), 'never content');

  // Monday 09:00 Berlin: the release timer moves it into the live queue (a fresh id, after the urgent one).
  fixed = MONDAY_9_BERLIN;
  const held = await bobSocket.nextEnvelope();
  assert.equal(text(held), 'weekend thought');
  assert.ok(Number(held.id) > Number(first.id));
  assert.equal(held.sourceUser, alice1.userId);
  await bobSocket.close();
  await alice2Socket.close();
});

test('working hours: own hours within the org bounds; a change that puts the person at work releases their held messages at once', async () => {
  fixed = Date.parse('2026-11-30T17:00:00Z'); // Monday 18:00 in Berlin, 12:00 in New York
  const bobSocket = await Client.connect(server.url, bob.auth);
  await bobSocket.drain({ ack: true });
  const sent = await toBob(alice1, [alice2], 'after hours');
  assert.deepEqual(sent.body.heldUntil, { [bob.userId]: Date.parse('2026-12-01T08:00:00Z') });

  const put = (body: unknown) => api(server.url, 'PUT', '/v1/me/working-hours', { auth: bob.auth, body });
  const longer = await put({ ...BERLIN, start: '08:00' });
  assert.deepEqual([longer.status, longer.error?.code], [409, ErrorCode.outside_org_hours]);
  const weekend = await put({ ...BERLIN, days: ['sat'] });
  assert.deepEqual([weekend.status, weekend.error?.code], [409, ErrorCode.outside_org_hours]);
  assert.equal((await put({ ...BERLIN, timeZone: 'Mars/Olympus' })).status, 400);

  const shifted = await put({ ...BERLIN, timeZone: 'America/New_York' });
  assert.equal(shifted.status, 200);
  assert.equal(shifted.body.source, 'own');
  assert.equal(shifted.body.offUntil, undefined);
  assert.equal(text(await bobSocket.nextEnvelope(3000)), 'after hours');

  const reset = await api(server.url, 'DELETE', '/v1/me/working-hours', { auth: bob.auth });
  assert.deepEqual([reset.body.source, reset.body.offUntil], ['org', Date.parse('2026-12-01T08:00:00Z')]);
  assert.deepEqual((await api(server.url, 'GET', '/v1/me/working-hours', { auth: bob.auth })).body, reset.body);
  await bobSocket.close();
});

test('group sends: held per member off work (not for the sender\'s own devices); urgent refused for a non-admin', async () => {
  fixed = SATURDAY_NOON;
  const created = await api(server.url, 'POST', '/v1/groups', { auth: alice1.auth, body: { name: 'Weekend crew', members: [bob.userId, carol.userId] } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const groupId = created.body.id as string;
  const envs = [bob, carol, alice2].map((d) => env(d, 'group weekend note'));
  const sent = await api(server.url, 'POST', `/v1/groups/${groupId}/messages`, { auth: alice1.auth, body: { envelopes: envs } });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  assert.deepEqual(sent.body.heldUntil, { [bob.userId]: MONDAY_9_BERLIN, [carol.userId]: MONDAY_9_BERLIN });
  const urgent = await api(server.url, 'POST', `/v1/groups/${groupId}/messages`, { auth: alice1.auth, body: { envelopes: envs, urgent: true } });
  assert.deepEqual([urgent.status, urgent.error?.code], [403, ErrorCode.urgent_not_allowed]);
  const alice2Socket = await Client.connect(server.url, alice2.auth);
  assert.ok((await alice2Socket.drain({ ack: true })).map(text).includes('group weekend note'), 'the sender\'s other device has it at once');
  await alice2Socket.close();
});
