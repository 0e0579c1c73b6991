// POST /v1/keys/bundles (issue #12 "Speed"): many users' key bundles in one request, with the single fetch's
// rules per target user. A hostile requester tries to drain one colleague's one-time prekeys by naming them many
// times, to dodge the budget with repeats, and to scrape with batches beyond it; the budget is taken in target
// users, all or nothing, and the default one lets a member reach a full 1,000-member group.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { randomBytes } from 'node:crypto';
import { BUNDLE_BATCH_MAX, BundleBatchResponse } from '../../common/wire/keys.ts';
import { ErrorCode } from '../../common/errors.ts';
import { RATES } from '../../server/limits/index.ts';
import { activeDevice, api, startTestServer, type Registered, type TestServer } from './helpers.ts';

/** A well-formed user id nobody has (what a scraper would try). */
const strangerId = () => `u_${randomBytes(16).toString('base64url').slice(0, 22)}`;
const strangers = (n: number) => Array.from({ length: n }, () => ({ userId: strangerId() }));

let server: TestServer;
let alice: Registered, bob: Registered, carol: Registered, dave: Registered;
before(async () => {
  server = await startTestServer();
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob', [1, 2, 3]);
  carol = await activeDevice(server.url, 'carol', Array.from({ length: 30 }, (_, i) => i + 1));
  dave = await activeDevice(server.url, 'dave', [7, 8]);
});
after(async () => { await server.cleanup(); });

const batch = (who: Registered, targets: unknown[]) => api(server.url, 'POST', '/v1/keys/bundles', { auth: who.auth, body: { targets } });
const count = async (d: Registered) => (await api(server.url, 'GET', '/v1/keys/count', { auth: d.auth })).body.count as number;

test('one request answers per target user: all devices, just one device, nobody; one prekey per device', async () => {
  const nobody = strangerId();
  const res = await batch(alice, [
    { userId: bob.userId }, { userId: dave.userId, deviceId: dave.deviceId }, { userId: nobody },
    { userId: bob.userId, deviceId: bob.deviceId }, { userId: dave.userId, deviceId: 99 },
  ]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(Value.Check(BundleBatchResponse, res.body));
  const body = res.body as BundleBatchResponse;
  assert.deepEqual(body.users.map((u) => [u.userId, u.devices.map((d) => [d.deviceId, d.preKey?.keyId])]), [
    [bob.userId, [[bob.deviceId, 1]]],
    [dave.userId, [[dave.deviceId, 7]]],
    [nobody, []],
  ]);
  assert.equal(body.users[0]!.devices[0]!.registrationId, bob.registrationId);
  assert.deepEqual([await count(bob), await count(dave)], [2, 1], 'a user named twice gave one prekey per device');
});

test('naming one colleague a thousand times takes one prekey; batch after batch take no more than the single fetch allows', async () => {
  const before = await count(carol);
  const res = await batch(bob, Array.from({ length: BUNDLE_BATCH_MAX }, () => ({ userId: carol.userId, deviceId: carol.deviceId })));
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.users.map((u: any) => u.devices.length), [1]);
  assert.equal(await count(carol), before - 1);
  let withPreKey = 1;
  for (let i = 0; i < 20; i++) {
    const again = await batch(bob, [{ userId: carol.userId }]);
    if (again.body.users[0].devices[0].preKey) withPreKey++;
  }
  assert.equal(withPreKey, RATES.prekeysByPair.burst);
  // The single fetch shares the same allowance.
  assert.equal((await api(server.url, 'GET', `/v1/keys/${carol.userId}`, { auth: bob.auth })).body.devices[0].preKey, undefined);
  assert.equal(await count(carol), before - RATES.prekeysByPair.burst);
});

test('bodies outside the contract are 400 with an error body; no credential is 401', async () => {
  for (const body of [
    { targets: [] },
    { targets: strangers(BUNDLE_BATCH_MAX + 1) },
    { targets: [{ userId: bob.userId, extra: 1 }] },
    { targets: [{ userId: 'not-a-user-id' }] },
    { targets: [{ userId: bob.userId, deviceId: 0 }] },
    { targets: [{ userId: bob.userId }], more: true },
  ]) {
    const res = await api(server.url, 'POST', '/v1/keys/bundles', { auth: alice.auth, body });
    assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
    assert.ok(res.error?.code === ErrorCode.invalid_request || res.error?.code === ErrorCode.bad_request, res.error?.code);
  }
  assert.equal((await api(server.url, 'POST', '/v1/keys/bundles', { body: { targets: [{ userId: bob.userId }] } })).status, 401);
});

test('the default budget reaches a full 1,000-member group, twice; a scraper going on gets 429 and takes nothing', async () => {
  const fresh = await activeDevice(server.url, 'dave', [1]); // its own requester bucket, untouched so far
  assert.ok(RATES.bundlesByRequester.burst >= 2 * BUNDLE_BATCH_MAX);
  for (let i = 0; i < 2; i++) {
    const res = await batch(fresh, [{ userId: carol.userId }, ...strangers(BUNDLE_BATCH_MAX - 1)]);
    assert.equal(res.status, 200, JSON.stringify(res.error));
    assert.equal(res.body.users.length, BUNDLE_BATCH_MAX);
  }
  const carolBefore = await count(carol);
  const refused = await batch(fresh, [{ userId: carol.userId }, ...strangers(99)]);
  assert.equal(refused.status, 429);
  assert.equal(refused.error?.code, ErrorCode.rate_limited);
  assert.ok(refused.body.retryAfterMs > 0);
  assert.equal(await count(carol), carolBefore, 'a refused batch takes no prekey');
  // The budget is the same one the single fetch uses.
  assert.equal((await api(server.url, 'GET', `/v1/keys/${carol.userId}`, { auth: fresh.auth })).status, 429);
  // Other requesters are not affected.
  assert.equal((await batch(alice, [{ userId: carol.userId }])).status, 200);
});

test('the budget is counted in distinct target users: repeats are free, a batch beyond what is left is refused whole', async () => {
  const small = await startTestServer({ rateLimits: { bundlesByRequester: { burst: 5, perSecond: 0.001 } } });
  try {
    const a = await activeDevice(small.url, 'alice');
    const b = await activeDevice(small.url, 'bob', [1, 2, 3, 4]);
    const post = (targets: unknown[]) => api(small.url, 'POST', '/v1/keys/bundles', { auth: a.auth, body: { targets } });
    const bobCount = async () => (await api(small.url, 'GET', '/v1/keys/count', { auth: b.auth })).body.count as number;
    // 1 target user (bob named 50 times) + 2 strangers = 3 of 5.
    assert.equal((await post([...Array.from({ length: 50 }, () => ({ userId: b.userId })), ...strangers(2)])).status, 200);
    assert.equal(await bobCount(), 3);
    // 3 more do not fit in the 2 left: refused whole, bob keeps his prekeys.
    const over = await post([{ userId: b.userId }, ...strangers(2)]);
    assert.equal(over.status, 429);
    assert.equal(await bobCount(), 3);
    // 2 do.
    assert.equal((await post([{ userId: b.userId }, ...strangers(1)])).status, 200);
    assert.equal(await bobCount(), 2);
  } finally {
    await small.cleanup();
  }
});
