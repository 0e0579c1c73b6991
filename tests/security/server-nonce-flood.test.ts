// Finding 10 (nonces): anyone could create registration nonces without bound — each POST /v1/devices/nonce
// stored a row. Now nonces are limited per client address, at most `caps.pendingNonces` are outstanding (older
// ones expire after 10 minutes and are swept), and a flood gets 429 instead of growing the database.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../common/errors.ts';
import { RATES } from '../../server/limits/index.ts';
import { count } from '../server/scim-helpers.ts';
import { api, devLogin, startTestServer, type TestServer } from '../server/helpers.ts';

const servers: TestServer[] = [];
after(async () => { for (const s of servers) await s.cleanup(); });

const nonce = (server: TestServer) => api(server.url, 'POST', '/v1/devices/nonce');
const rows = (server: TestServer) => count(server, 'SELECT count(*) AS n FROM registration_nonces');

test('one address gets a burst of nonces, then 429 rate_limited', async () => {
  const server = await startTestServer();
  servers.push(server);
  const codes: string[] = [];
  for (let i = 0; i < RATES.nonceByIp.burst + 5; i++) {
    const res = await nonce(server);
    codes.push(res.status === 200 ? 'ok' : res.error!.code);
  }
  assert.equal(codes.filter((c) => c === 'ok').length, RATES.nonceByIp.burst);
  assert.deepEqual([...new Set(codes.slice(RATES.nonceByIp.burst))], [ErrorCode.rate_limited]);
  assert.equal(rows(server), RATES.nonceByIp.burst);
});

test('outstanding nonces are capped; expired ones are swept and make room; a sign-in still works', async () => {
  let skew = 0;
  const server = await startTestServer({
    now: () => Date.now() + skew, caps: { pendingNonces: 30 }, rateLimits: { nonceByIp: { burst: 10_000, perSecond: 1000 } },
  });
  servers.push(server);
  const statuses = [];
  for (let i = 0; i < 50; i++) statuses.push((await nonce(server)).status);
  assert.equal(statuses.filter((s) => s === 200).length, 30);
  assert.ok(statuses.slice(30).every((s) => s === 429), statuses.join());
  assert.equal(rows(server), 30);
  // Eleven minutes later they have all expired: new ones are issued, the old rows are gone.
  skew = 11 * 60_000;
  assert.equal((await nonce(server)).status, 200);
  assert.equal(rows(server), 1);
  // And a real sign-in goes through (its nonce is one of the outstanding ones).
  const { idToken } = await devLogin(server.url, 'alice');
  assert.ok(idToken.length > 0);
});
