// Finding 8 (server part): anyone could drain anyone's one-time prekeys — 150 bundle fetches in 1.3 s emptied
// dave's 100. Now a requester takes at most a few one-time prekeys from one user (later bundles come without
// one, which X3DH allows), bundle fetches are rate-limited per requesting device (429), and a device whose
// supply runs low is told so on its delivery socket (`prekeys-low`) so its client refills.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Value } from 'typebox/value';
import { KeyBundles, ServerFrame } from '../../common/wire/schemas.ts';
import { ErrorCode } from '../../common/errors.ts';
import { RATES } from '../../server/limits/index.ts';
import { activeDevice, api, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';

const FETCH_BURST = 200;
let server: TestServer;
let alice: Registered, bob: Registered, dave: Registered;
before(async () => {
  // The per-requester burst is lowered so that its 429 takes 200 requests here, not 1,000.
  server = await startTestServer({ rateLimits: { bundlesByRequester: { burst: FETCH_BURST, perSecond: 5 } } });
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
  dave = await activeDevice(server.url, 'dave', Array.from({ length: 100 }, (_, i) => i + 1));
});
after(async () => { await server.cleanup(); });

const count = async (d: Registered) => (await api(server.url, 'GET', '/v1/keys/count', { auth: d.auth })).body.count as number;

test('150 bundle fetches by one requester take only a few of dave\'s 100 one-time prekeys; the rest come without one', async () => {
  let withPreKey = 0;
  for (let i = 0; i < 150; i++) {
    const res = await api(server.url, 'GET', i % 2 ? `/v1/keys/${dave.userId}` : `/v1/keys/${dave.userId}/${dave.deviceId}`, { auth: alice.auth });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(Value.Check(KeyBundles, res.body));
    assert.equal(res.body.devices.length, 1, 'the bundle itself is always there');
    if (res.body.devices[0]?.preKey) withPreKey++;
  }
  assert.equal(withPreKey, RATES.prekeysByPair.burst);
  assert.equal(await count(dave), 100 - RATES.prekeysByPair.burst);
  // Another requester has its own allowance.
  const fromBob = await api(server.url, 'GET', `/v1/keys/${dave.userId}`, { auth: bob.auth });
  assert.ok(fromBob.body.devices[0].preKey);
});

test('fetching beyond the per-requester rate is 429 rate_limited with Retry-After', async () => {
  let limited: Awaited<ReturnType<typeof api>> | undefined;
  for (let i = 0; i < FETCH_BURST + 10 && !limited; i++) {
    const res = await api(server.url, 'GET', `/v1/keys/${bob.userId}`, { auth: alice.auth });
    if (res.status === 429) limited = res;
  }
  if (!limited) throw new Error('never limited');
  assert.equal(limited.error?.code, ErrorCode.rate_limited);
  assert.ok(limited.body.retryAfterMs > 0);
  // Other requesters are not affected.
  assert.equal((await api(server.url, 'GET', `/v1/keys/${alice.userId}`, { auth: bob.auth })).status, 200);
});

test('a device whose one-time prekeys run low gets a prekeys-low frame naming it', async () => {
  const carol = await activeDevice(server.url, 'carol', Array.from({ length: 24 }, (_, i) => i + 1));
  const frames: any[] = [];
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: carol.auth });
  const frameOf = (type: string) => new Promise<any>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} frame within 10 s`)), 10_000);
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (f.type === type) { clearTimeout(timer); resolve(f); }
    });
  });
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  const low = frameOf('prekeys-low');
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  // Two requesters take 5 each: 24 → 14, below the low-water mark of 20.
  for (const from of [bob, dave]) {
    for (let i = 0; i < 5; i++) assert.equal((await api(server.url, 'GET', `/v1/keys/${carol.userId}`, { auth: from.auth })).status, 200);
  }
  const frame: any = await low;
  assert.ok(Value.Check(ServerFrame, frame as unknown), JSON.stringify(frame));
  assert.equal(frame.deviceId, carol.deviceId);
  assert.ok(frame.count < 20 && frame.count >= 14, JSON.stringify(frame));
  // The frame goes out before the fetch is answered, so a later event is a sentinel: nothing more came.
  const changed = frameOf('group-changed');
  assert.equal((await api(server.url, 'POST', '/v1/groups', { auth: bob.auth, body: { name: 'Sentinel', members: [carol.userId] } })).status, 201);
  await changed;
  assert.equal(frames.filter((f) => f.type === 'prekeys-low').length, 1, 'throttled: once, not on every fetch');
  ws.close();
});
