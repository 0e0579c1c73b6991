// A signed-in device flooding sends over HTTP: POST /v1/messages and group sends share one budget per device
// (RATES.sendsByDevice; the delivery socket's `send` frames have their own, tests/security/server-ws-flood.test.ts).
// Past it: 429 rate_limited with the wait, nothing stored; other devices send on; the server keeps answering.
// A tiny budget here keeps the test short; the default's size is checked against what docs/security.md says.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ErrorCode } from '../../common/errors.ts';
import { RATES } from '../../server/limits/index.ts';
import { count } from '../server/scim-helpers.ts';
import { activeDevice, api, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';

const BURST = 4;
let server: TestServer;
let alice: Registered, bob: Registered;
before(async () => {
  server = await startTestServer({ rateLimits: { sendsByDevice: { burst: BURST, perSecond: 1 / 3600 } } });
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
});
after(async () => { await server?.cleanup(); });

const to = (d: Registered, i: number) => ({
  userId: d.userId, deviceId: d.deviceId, registrationId: d.registrationId, type: 1, content: Buffer.from(`message ${i}`).toString('base64'),
});
const queued = (d: Registered) => count(server, 'SELECT count(*) AS n FROM envelopes WHERE dest_user = ?', d.userId);

test('past its budget a device gets 429 with the wait, for 1:1 and group sends alike, and nothing is stored', async () => {
  const group = await api(server.url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: 'Flood', members: [bob.userId] } });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  const statuses: number[] = [];
  for (let i = 0; i < BURST; i++) {
    const res = i % 2 === 0
      ? await api(server.url, 'POST', '/v1/messages', { auth: alice.auth, body: { recipient: bob.userId, envelopes: [to(bob, i)] } })
      : await api(server.url, 'POST', `/v1/groups/${group.body.id}/messages`, { auth: alice.auth, body: { envelopes: [to(bob, i)] } });
    statuses.push(res.status);
  }
  assert.deepEqual(statuses, Array(BURST).fill(200));
  assert.equal(queued(bob), BURST);

  for (const res of [
    await api(server.url, 'POST', '/v1/messages', { auth: alice.auth, body: { recipient: bob.userId, envelopes: [to(bob, 99)] } }),
    await api(server.url, 'POST', `/v1/groups/${group.body.id}/messages`, { auth: alice.auth, body: { envelopes: [to(bob, 98)] } }),
  ]) {
    assert.equal(res.status, 429);
    assert.equal(res.error?.code, ErrorCode.rate_limited);
    assert.ok(typeof res.body.retryAfterMs === 'number' && res.body.retryAfterMs > 0, 'the wait is in the body');
  }
  assert.equal(queued(bob), BURST, 'a refused send stores nothing');

  // Another device has its own budget, and the server keeps serving.
  const back = await api(server.url, 'POST', '/v1/messages', { auth: bob.auth, body: { recipient: alice.userId, envelopes: [to(alice, 0)] } });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  assert.equal((await api(server.url, 'GET', '/healthz')).status, 200);
});

test('the default budget is the one docs/security.md states', () => {
  const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
  const { burst, perSecond } = RATES.sendsByDevice;
  assert.ok(doc.includes(`HTTP sends per device (burst ${burst.toLocaleString('en-US')}, ${perSecond}/s`), 'docs/security.md names the HTTP send budget');
});
