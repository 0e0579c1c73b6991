// The browser shell's bridge refuses what a hostile page or process would send, and nothing changes in the
// store when it does: wrong types, unknown methods, a forged token, a foreign Origin or Host; fuzzed
// bodies get a clear 4xx, never a 5xx. (The one-time links, with real processes: browser-shell-launch.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { Methods } from '../../common/app-api/contract.ts';
import type { RunningServer } from '../../server/app.ts';
import { AppController, createDispatcher } from '../../electron/app/controller.ts';
import { resolveStaticPath, startBrowserShell, type BrowserShell } from '../../electron/browser-shell/server.ts';
import { defaultVault, loginNewDevice } from '../../electron/core/messenger.ts';
import { startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
let shell: BrowserShell;
let controller: AppController;
const rendererDir = () => join(root, 'renderer');

before(async () => {
  root = tempDir('shell');
  server = await startDevServer(join(root, 'server'));
  mkdirSync(rendererDir());
  writeFileSync(join(rendererDir(), 'index.html'), '<!doctype html><title>Parley</title>');
  writeFileSync(join(root, 'secret.txt'), 'outside the renderer');
  const profile = join(root, 'alice');
  (await loginNewDevice(profile, server.url, { kind: 'dev-user', username: 'alice' })).close();
  controller = new AppController({ profileDir: profile, serverUrl: server.url, vault: defaultVault(profile), openExternal: async () => {} });
  await controller.start();
  shell = await startBrowserShell({ controller, rendererDir: rendererDir() });
});
after(async () => {
  await shell?.close();
  await controller?.stop();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function call(method: unknown, input: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${shell.origin}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: shell.origin, 'x-parley-token': shell.token, ...headers },
    body: JSON.stringify({ method, input }),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

test('a signed-in profile opens on the consent screen with the server\'s policy, then becomes ready', async () => {
  const state = (await call('state.get', {})).body.result as Record<string, any>;
  assert.equal(state.phase, 'consent');
  assert.match(state.policy.text, /end-to-end encrypted/);
  assert.equal((await call('policy.accept', { version: 'not-the-version' })).status, 422);
  const ready = await call('policy.accept', { version: state.policy.version });
  assert.equal((ready.body.result as Record<string, unknown>).phase, 'ready');
});

test('bad calls are refused with a JSON error and change nothing', async () => {
  const before = (await call('settings.get', {})).body.result;
  const cases: [unknown, unknown, Record<string, string>, number][] = [
    ['settings.set', { notifications: 'yes' }, {}, 400], // wrong type
    ['settings.set', { notifications: false, extra: 1 }, {}, 400], // unknown property
    ['settings.get', [], {}, 400],
    ['no.such.method', {}, {}, 400],
    ['__proto__', {}, {}, 400],
    [42, {}, {}, 400],
    ['messages.send', { conversationId: '../../etc', text: 'x' }, {}, 400],
    ['messages.send', { conversationId: 'dm_x', text: '' }, {}, 400],
    ['settings.set', { notifications: false }, { 'x-parley-token': 'forged-token-forged-token-forged-token-xx' }, 401],
    ['settings.set', { notifications: false }, { 'x-parley-token': '' }, 401],
    ['settings.set', { notifications: false }, { origin: 'https://evil.example' }, 403],
    ['settings.set', { notifications: false }, { origin: 'http://127.0.0.1:1' }, 403],
  ];
  for (const [method, input, headers, status] of cases) {
    const r = await call(method, input, headers);
    assert.equal(r.status, status, `${String(method)} ${JSON.stringify(input)} ${JSON.stringify(headers)}`);
    assert.equal(typeof r.body.error, 'string');
    assert.equal(typeof r.body.message, 'string');
  }
  assert.deepEqual((await call('settings.get', {})).body.result, before, 'settings unchanged');
  assert.deepEqual((await call('conversations.list', {})).body.result, [], 'no conversation was created');
  // A valid call with the real token and origin works (the checks above are not blanket refusals).
  assert.deepEqual((await call('settings.set', { notifications: false })).body.result, { notifications: false, readReceipts: true });
});

test('a file goes to /api/upload only: a bigger body for that one method, the small limit for every other call', async () => {
  const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${shell.origin}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: shell.origin, 'x-parley-token': shell.token, ...headers }, body,
  });
  const upload = (bytes: number) => JSON.stringify({ method: 'attachments.upload', input: { fileName: 'a.bin', contentType: 'application/octet-stream', data: Buffer.alloc(bytes, 7).toString('base64') } });
  assert.equal((await post('/api/call', upload(300_000))).status, 413, 'over the limit of an ordinary call');
  const wrongDoor = await post('/api/call', upload(10));
  assert.equal(wrongDoor.status, 400);
  assert.match(((await wrongDoor.json()) as { message: string }).message, /\/api\/upload/);
  assert.equal((await post('/api/upload', JSON.stringify({ method: 'settings.set', input: { notifications: true } }))).status, 400, 'only the upload method');
  assert.equal((await post('/api/upload', upload(300_000), { 'x-parley-token': 'forged-token-forged-token-forged-token-xx' })).status, 401);
  assert.equal((await post('/api/upload', upload(300_000), { origin: 'https://evil.example' })).status, 403);
  const ok = await post('/api/upload', upload(300_000));
  assert.equal(ok.status, 200);
  assert.match(((await ok.json()) as { result: { uploadId: string } }).result.uploadId, /^[A-Za-z0-9_-]{20,}$/);
});

test('malformed JSON, wrong content type, oversized body, missing Origin → 4xx JSON', async () => {
  const post = (body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string>) => fetch(`${shell.origin}/api/call`, { method: 'POST', headers, body });
  const base = { origin: shell.origin, 'x-parley-token': shell.token };
  assert.equal((await post('{not json', { ...base, 'content-type': 'application/json' })).status, 400);
  assert.equal((await post('{}', { ...base, 'content-type': 'text/plain' })).status, 415);
  assert.equal((await post(new Uint8Array(70_000).fill(0x20), { ...base, 'content-type': 'application/json' })).status, 413);
  assert.equal((await post('{"method":"state.get","input":{}}', { 'x-parley-token': shell.token, 'content-type': 'application/json' })).status, 403);
});

test('a wrong Host header (DNS rebinding) is refused', async () => {
  const port = Number(new URL(shell.origin).port);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: { host: `attacker.example:${port}`, 'x-parley-token': shell.token } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 421);
});

test('static files: served with the CSP; traversal attempts never leave the renderer folder', async () => {
  const index = await fetch(`${shell.origin}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/..%5csecret.txt', '/%00', '/a/../../secret.txt']) {
    const res = await fetch(`${shell.origin}${p}`);
    assert.notEqual(res.status, 200, p);
    assert.doesNotMatch(await res.text(), /outside the renderer/, p);
  }
  const r = rendererDir();
  assert.equal(resolveStaticPath(r, '/'), join(r, 'index.html'));
  assert.equal(resolveStaticPath(r, '/assets/app.js'), join(r, 'assets', 'app.js'));
  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/x/..%5c..%5csecret.txt', '/%00', '/%E0%A4%A', 'relative']) {
    assert.equal(resolveStaticPath(r, p), null, p);
  }
});

test('the dispatcher refuses unknown methods and bad input before any handler runs', async () => {
  const dispatch = createDispatcher(controller);
  await assert.rejects(dispatch('constructor', {}), /unknown method/);
  await assert.rejects(dispatch('hasOwnProperty', {}), /unknown method/);
  await assert.rejects(dispatch('directory.search', { query: 7 }), /invalid input/);
});

test('a one-time code is redeemed once for the session token; anything else gets a 4xx', async () => {
  const link = shell.link();
  const code = new URLSearchParams(new URL(link.url).hash.slice(1)).get('code')!;
  const redeem = (body: string, headers: Record<string, string> = {}) => fetch(`${shell.origin}/api/session`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: shell.origin, ...headers }, body,
  });
  assert.equal((await redeem(JSON.stringify({ code }), { origin: 'https://evil.example' })).status, 403);
  assert.equal((await redeem(JSON.stringify({ code: 7 }))).status, 400);
  const first = await redeem(JSON.stringify({ code }));
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { token: shell.token });
  await link.redeemed;
  const again = await redeem(JSON.stringify({ code }));
  assert.equal(again.status, 401);
  assert.match((await again.json() as { message: string }).message, /already used/);
  const revoked = shell.link();
  revoked.revoke();
  assert.equal((await redeem(JSON.stringify({ code: new URLSearchParams(new URL(revoked.url).hash.slice(1)).get('code') }))).status, 401);
  assert.equal((await redeem(JSON.stringify({ code: 'x'.repeat(43) }))).status, 401);
});

test('fuzz: whatever body POST /api/call gets, the answer is JSON and never a 5xx; the bridge keeps serving', async () => {
  // Left out on purpose: device.reset and device.signOut, called validly, delete this profile, which the other
  // cases need; auth.signIn would then open a sign-in listener that waits minutes for a browser redirect.
  const LEFT_OUT = new Set(['device.reset', 'device.signOut', 'auth.signIn']);
  const methods = Object.keys(Methods).filter((m) => !LEFT_OUT.has(m));
  const keys = ['email', 'conversationId', 'text', 'query', 'userId', 'groupId', 'version', 'notifications', 'name', 'members',
    'user', 'device', 'reason', 'role', 'before', 'limit', 'announcement', 'confidential', 'directoryGroup', '__proto__', 'constructor'];
  const value = fc.oneof(fc.string({ maxLength: 80 }), fc.emailAddress(), fc.constantFrom('dm_x', 'g_x', 'alice@acme.test', '', '../..'),
    fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }));
  const input = fc.oneof(fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 4 }), fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined));
  // Calls shaped by each method's own input schema, so that most pass the dispatcher and reach a handler.
  const shaped = fc.constantFrom(...methods).chain((m) => fromSchema(Methods[m as keyof typeof Methods].input).map((i) => JSON.stringify({ method: m, input: i })));
  const body = fc.oneof(
    { arbitrary: shaped, weight: 3 },
    fc.record({ method: fc.oneof(fc.constantFrom(...methods), fc.string({ maxLength: 30 })), input }, { requiredKeys: ['method'] }).map((b) => JSON.stringify(b)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  );
  await fc.assert(fc.asyncProperty(body, async (text) => {
    const res = await fetch(`${shell.origin}/api/call`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: shell.origin, 'x-parley-token': shell.token }, body: text,
    });
    const answer = await res.json() as Record<string, unknown>;
    assert.ok(res.status < 500, `${res.status} ${JSON.stringify(answer)} for ${text}`);
    if (res.status >= 400) {
      assert.ok(res.status < 500 && typeof answer.error === 'string' && typeof answer.message === 'string', `${res.status} ${JSON.stringify(answer)}`);
    }
  }), { numRuns: 500 });
  const state = await call('state.get', {});
  assert.equal(state.status, 200, 'the bridge still answers');
});

/** Values for a TypeBox (JSON) schema: right types and shapes, with strings that are sometimes real ids. */
function fromSchema(schema: Record<string, any>): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.anyOf) return fc.oneof(...(schema.anyOf as Record<string, any>[]).map(fromSchema));
  switch (schema.type) {
    case 'string': return fc.oneof(
      fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 60, 60) }),
      fc.constantFrom('alice@acme.test', 'bob@acme.test', 'nobody@acme.test', 'dm_x', 'g_x', 'u_x', '1'), fc.emailAddress());
    case 'boolean': return fc.boolean();
    case 'integer': case 'number': return fc.integer({ min: schema.minimum ?? -5, max: Math.min(schema.maximum ?? 1000, 1000) });
    case 'null': return fc.constant(null);
    case 'array': return fc.array(fromSchema(schema.items ?? {}), { maxLength: 4 });
    case 'object': return fc.record(
      Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, fromSchema(v as Record<string, any>)])),
      { requiredKeys: schema.required ?? [] },
    );
    default: return fc.jsonValue({ maxDepth: 2 });
  }
}
