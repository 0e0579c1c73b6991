// Finding 3: anyone could flood the append-only audit log without credentials — bad-signature wipe receipts for
// a wipe-pending device wrote 1,086 rows in 5 s and pushed the real events out of the admins' view. Now the
// signature is checked before anything is written, refused receipts never reach the audit log (a server log line
// per device per hour), and unauthenticated lifecycle requests are rate-limited per IP and per device.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signedText } from '../../common/wire/lifecycle.ts';
import { ErrorCode } from '../../common/errors.ts';
import { activeDevice, api, lifecycleKeyPair, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';

let server: TestServer;
let bob: Registered, carol: Registered;
before(async () => {
  server = await startTestServer();
  bob = await activeDevice(server.url, 'bob');
  carol = await activeDevice(server.url, 'carol'); // org admin (dev IdP groups claim)
});
after(async () => { await server.cleanup(); });

const audit = async () => (await api(server.url, 'GET', '/v1/admin/audit', { auth: carol.auth })).body.entries as any[];

function forgedReceipt(dev: Registered) {
  const wipedAt = Date.now();
  const steps = ['key-destroyed', 'store-deleted'];
  const signature = lifecycleKeyPair().sign(signedText.receipt(dev.userId, dev.deviceId, wipedAt, steps));
  return { userId: dev.userId, deviceId: dev.deviceId, wipedAt, steps, signature };
}

test('300 forged wipe receipts from one client write no audit entry; the wipe request stays on top', async () => {
  const wipe = await api(server.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { email: 'bob@acme.test', reason: 'lost' } });
  assert.equal(wipe.status, 200, JSON.stringify(wipe.body));
  const before = await audit();
  assert.equal(before[0].action, 'wipe requested');

  const statuses = new Map<number, number>();
  const codes = new Set<string>();
  // 30 at a time (300 connections at once would meet the per-address connection cap instead).
  for (let i = 0; i < 300; i += 30) {
    await Promise.all(Array.from({ length: 30 }, async () => {
      const res = await api(server.url, 'POST', '/v1/lifecycle/wipe-receipt', { body: forgedReceipt(bob) });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      codes.add(res.error!.code);
    }));
  }
  // Every answer is a refusal: a bad signature (401) or, once over the rate, 429.
  assert.deepEqual([...codes].sort(), [ErrorCode.invalid_signature, ErrorCode.rate_limited].sort());
  assert.ok((statuses.get(429) ?? 0) >= 250, JSON.stringify([...statuses]));

  const after = await audit();
  assert.equal(after.length - before.length, 0, 'unauthenticated requests wrote audit entries');
  assert.equal(after[0].action, 'wipe requested', 'the wipe request is still on top');
});

test('a 429 says when to retry: a Retry-After header and retryAfterMs in the body', async () => {
  const res = await fetch(`${server.url}/v1/lifecycle/wipe-receipt`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forgedReceipt(bob)),
  });
  assert.equal(res.status, 429);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
  const body = await res.json() as { error: string; retryAfterMs: number };
  assert.equal(body.error, ErrorCode.rate_limited);
  assert.ok(body.retryAfterMs > 0);
});

test('lifecycle requests for a device that does not exist are limited as well, and write nothing', async () => {
  const before = (await audit()).length;
  const ghost = { ...bob, userId: 'u_AAAAAAAAAAAAAAAAAAAAAA' } as Registered;
  const codes = new Set<string>();
  for (let i = 0; i < 80; i++) {
    const res = await api(server.url, 'POST', '/v1/lifecycle/status', { body: { userId: ghost.userId, deviceId: 1, timestamp: Date.now(), signature: forgedReceipt(bob).signature } });
    codes.add(res.error!.code);
  }
  assert.ok(codes.has(ErrorCode.rate_limited), [...codes].join());
  assert.equal((await audit()).length, before);
});
