// Fuzzing (fast-check) against a real server over real sockets: every route the server serves, with bodies,
// params and query strings generated from the route's own request schemas (mostly contract-shaped, so they reach
// the handlers; sometimes not), with and without credentials; and every kind of WebSocket frame. Whatever is
// sent: no 5xx, no crash, no hang (each request has a deadline), a clear 4xx ErrorBody (SCIM: its error schema),
// and success bodies that match the route's declared response schema.
// Run counts are modest (npm test runs on 2 cores); FUZZ_RUNS=n raises them for a longer local session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import WebSocket from 'ws';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import { ErrorBody } from '../../common/errors.ts';
import { ServerFrame } from '../../common/wire/schemas.ts';
import { ScimError, URN } from '../../common/wire/scim.ts';
import type { CheckedRoute } from '../../server/responses.ts';
import { activeDevice, api, fakePublicKey, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';
import { conforming, fuzzed, type Hints } from './schema-arbitrary.ts';
import { BASE64_FORMAT } from '../../common/wire/base64.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SCIM_TOKEN = 'fuzz-scim-token-0123456789abcdef';
const HIGH = { burst: 100_000, perSecond: 10_000 };

let server: TestServer;
let alice: Registered, carol: Registered;
let hints: Hints;
/** SCIM ids the fuzzer may hit, wipe or delete: a provisioned user of its own and a group. */
let scimIds: string[];
before(async () => {
  // Rate limits high, so the fuzzer reaches the handlers instead of meeting 429s (which are fine, just shallow).
  server = await startTestServer({
    scimToken: SCIM_TOKEN,
    rateLimits: { nonceByIp: HIGH, lifecycleByIp: HIGH, lifecycleByDevice: HIGH, bundlesByRequester: HIGH, wsConnectByDevice: HIGH },
  });
  alice = await activeDevice(server.url, 'alice');
  carol = await activeDevice(server.url, 'carol'); // org admin
  // dave is the one the fuzzer may wipe, revoke, message or add anywhere; alice and carol keep fuzzing.
  const dave = await activeDevice(server.url, 'dave');
  const group = await api(server.url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: 'Fuzz', members: [carol.userId, dave.userId] } });
  hints = {
    '^u_[A-Za-z0-9_-]{22}$': [dave.userId],
    '^g_[A-Za-z0-9_-]{22}$': [group.body.id],
    '^[1-9][0-9]{0,6}$': ['1', '2'],
    '^[^\\s@]+@[^\\s@]+$': ['dave@acme.test'],
    [BASE64_FORMAT]: [fakePublicKey(), Buffer.from('hello').toString('base64')],
  };
  const scimPost = (path: string, body: unknown) => fetch(`${server.url}/scim/v2${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body),
  }).then((r) => r.json() as Promise<{ id: string }>);
  const fuzzUser = await scimPost('/Users', { schemas: [URN.user], userName: 'fuzz@acme.test', externalId: 'fuzz-1' });
  const fuzzGroup = await scimPost('/Groups', { schemas: [URN.group], displayName: 'Fuzz group', members: [{ value: fuzzUser.id }] });
  scimIds = [fuzzUser.id, fuzzGroup.id];
});

/** SCIM bodies as Entra and Okta shape them (SCIM routes validate by hand, so they declare no body schema). */
function scimBody(route: CheckedRoute, method: string): fc.Arbitrary<unknown> {
  const str = fc.oneof(fc.string({ maxLength: 20 }), fc.emailAddress());
  const user = fc.record({
    schemas: fc.constantFrom([URN.user], [URN.user, URN.enterpriseUser], [URN.user, 'urn:example:custom'], ['urn:nope'], 'x'),
    userName: str, externalId: fc.option(fc.string({ maxLength: 12 })), active: fc.oneof(fc.boolean(), fc.constantFrom('True', 'False', 'maybe')),
    name: fc.record({ givenName: fc.string({ maxLength: 10 }), familyName: fc.string({ maxLength: 10 }) }, { requiredKeys: [] }),
    emails: fc.array(fc.record({ value: str, type: fc.constantFrom('work', 'home'), primary: fc.boolean() }), { maxLength: 2 }),
    [URN.enterpriseUser]: fc.record({ department: fc.string({ maxLength: 10 }), manager: fc.oneof(fc.string(), fc.record({ value: fc.string() })) }, { requiredKeys: [] }),
  }, { requiredKeys: ['schemas'] });
  const member = fc.record({ value: fc.oneof(fc.constantFrom(...scimIds), fc.string({ maxLength: 10 })), display: fc.string({ maxLength: 10 }) }, { requiredKeys: ['value'] });
  const group = fc.record({
    schemas: fc.constantFrom([URN.group], [URN.group, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'], []),
    displayName: fc.string({ maxLength: 20 }), externalId: fc.option(fc.string({ maxLength: 12 })), members: fc.array(member, { maxLength: 3 }),
  }, { requiredKeys: ['schemas'] });
  const path = fc.oneof(
    fc.constantFrom('displayName', 'active', 'userName', 'name.givenName', 'emails[type eq "work"].value', 'members', `members[value eq "${scimIds[0]}"]`,
      `${URN.enterpriseUser}:department`, 'urn:ietf:params:scim:schemas:extension:Custom:2.0:User:x', '__proto__.polluted', 'members[value eq "a" or 1 eq 1]', ''),
    fc.string({ maxLength: 30 }),
  );
  const patch = fc.record({
    schemas: fc.constantFrom([URN.patchOp], [], ['x']),
    Operations: fc.array(fc.record({
      op: fc.constantFrom('add', 'Add', 'replace', 'Replace', 'remove', 'Remove', 'delete'),
      path,
      value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.array(member, { maxLength: 2 }), fc.record({ active: fc.boolean(), displayName: fc.string() }, { requiredKeys: [] })),
    }, { requiredKeys: ['op'] }), { maxLength: 4 }),
  }, { requiredKeys: ['schemas', 'Operations'] });
  if (method === 'PATCH') return patch;
  return route.url.includes('/Groups') ? group : user;
}
after(async () => { await server.cleanup(); });

/** Routes that end the fuzzer's own device (it would fuzz on as nobody) or belong to the development IdP. */
const SKIPPED = [/^DELETE \/v1\/devices\//, / \/idp(\/|$)/];

interface Sent { method: string; path: string; auth: string | undefined; contentType: string; body: string | undefined }

function fill(url: string, params: Record<string, unknown>): string {
  return url.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(params[name] ?? 'x')));
}

function requests(route: CheckedRoute, method: string): fc.Arbitrary<Sent> {
  const scimRoute = route.url.startsWith('/scim/');
  const good = scimRoute ? [`Bearer ${SCIM_TOKEN}`] : [`Bearer ${alice.credential}`, `Bearer ${carol.credential}`];
  const auth = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<string | undefined>(...good) },
    { weight: 1, arbitrary: fc.constantFrom<string | undefined>(undefined, 'Bearer garbage', `Bearer ${alice.credential}x`, scimRoute ? `Bearer ${alice.credential}` : `Bearer ${SCIM_TOKEN}`) },
  );
  const params = route.request.params
    ? conforming(route.request.params as never, hints)
    : fc.record({ id: fc.oneof(fc.constantFrom(...scimIds), fc.string({ minLength: 1, maxLength: 12 })) });
  const query = fc.oneof(
    { weight: 3, arbitrary: route.request.querystring ? conforming(route.request.querystring as never, hints) : fc.constant({}) },
    { weight: 1, arbitrary: route.request.querystring ? fuzzed(route.request.querystring as never, hints) : fc.constant({}) },
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('filter', 'count', 'startIndex', 'attributes', 'excludedAttributes', 'limit', 'x'), fc.string({ maxLength: 30 }), { maxKeys: 3 }) },
  );
  const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'DELETE';
  const shaped = scimRoute ? scimBody(route, method) : fuzzed(route.request.body as never, hints);
  const body = hasBody
    ? fc.oneof(
      { weight: 6, arbitrary: shaped.map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    )
    : fc.constant(undefined);
  const contentType = fc.oneof(
    { weight: 5, arbitrary: fc.constant(scimRoute ? 'application/scim+json' : 'application/json') },
    { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded') },
  );
  return fc.record({ auth, params, query, body, contentType }).map(({ auth: a, params: p, query: q, body: b, contentType: ct }) => {
    const qs = new URLSearchParams(Object.entries((q ?? {}) as Record<string, unknown>).filter(([, v]) => v !== undefined).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
    return { method, path: `${fill(route.url, (p ?? {}) as Record<string, unknown>)}${qs ? `?${qs}` : ''}`, auth: a, contentType: ct, body: b };
  });
}

async function send(r: Sent): Promise<{ status: number; text: string; type: string }> {
  const headers: Record<string, string> = {};
  if (r.auth) headers.authorization = r.auth;
  if (r.body !== undefined) headers['content-type'] = r.contentType;
  const res = await fetch(`${server.url}${r.path}`, { method: r.method, headers, body: r.body, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

test('every route: generated requests get a clear answer, never a 5xx, within the deadline', async () => {
  const routes = server.routes.filter((r) => r.method !== 'HEAD' && !SKIPPED.some((re) => re.test(`${r.method} ${r.url}`)));
  assert.ok(routes.length >= 40, `${routes.length} routes`);
  let reachedHandler = 0;
  for (const route of routes) {
    const method = route.method.split(',')[0]!;
    if (route.url === '/v1/ws') continue; // the WebSocket route: frames are fuzzed below
    await fc.assert(fc.asyncProperty(requests(route, method), async (r) => {
      const res = await send(r);
      const where = `${r.method} ${r.path} (${r.auth?.slice(0, 14) ?? 'no auth'}, ${r.contentType}) ${r.body?.slice(0, 200) ?? ''}`;
      assert.ok(res.status < 500, `${where} → ${res.status} ${res.text.slice(0, 300)}`);
      let json: unknown;
      try { json = res.text === '' ? null : JSON.parse(res.text); } catch { json = undefined; }
      if (res.status >= 400) {
        const shape = route.url.startsWith('/scim/') ? ScimError : ErrorBody;
        assert.ok(Value.Check(shape, json), `${where} → ${res.status} without an error body: ${res.text.slice(0, 300)}`);
        return;
      }
      reachedHandler++;
      const declared = route.response[String(res.status)] as TSchema | undefined;
      if (declared && json !== null) assert.ok(Value.Check(declared, json), `${where} → ${res.status} off its schema: ${res.text.slice(0, 300)}`);
    }), { numRuns: RUNS });
  }
  assert.ok(reachedHandler > routes.length, `only ${reachedHandler} requests succeeded: the generated requests stay shallow`);
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
});

const frameArb = fc.oneof(
  fc.string({ maxLength: 64 }).map((s) => ({ data: s as string | Uint8Array })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ data: JSON.stringify(v) as string | Uint8Array })),
  fc.record({ type: fc.constantFrom('ack', 'ACK', 'nack', ''), id: fc.oneof(fc.stringMatching(/^[0-9]{1,18}$/), fc.string(), fc.integer()) })
    .map((f) => ({ data: JSON.stringify(f) as string | Uint8Array })),
  fc.uint8Array({ maxLength: 64 }).map((b) => ({ data: b as string | Uint8Array })),
  fc.constant({ data: 'x'.repeat(5000) as string | Uint8Array }),
);

test('WebSocket frames of every kind: the server answers only with contract frames or a close, and keeps serving', async () => {
  const allowedCloses = new Set([1000, 1005, 1008, 1009, 1013]);
  await fc.assert(fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 30 }), async (frames) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${alice.credential}` } });
    const received: unknown[] = [];
    ws.on('message', (d) => received.push(JSON.parse(d.toString())));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    for (const f of frames) if (ws.readyState === WebSocket.OPEN) ws.send(f.data);
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    const code = await Promise.race([closed, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('socket did not close')), 10_000))]);
    assert.ok(allowedCloses.has(code), `closed with ${code}`);
    for (const f of received) assert.ok(Value.Check(ServerFrame, f), JSON.stringify(f));
  }), { numRuns: RUNS * 3 });
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
});
