// Finding 10 (names): group names accepted a right-to-left override, zero-width-only text and NUL, so a group
// could show as something else, or as nothing, in every member's list. Names are now NFC-normalized and trimmed;
// control, bidirectional-override/isolate and invisible-only names are a clear 400 invalid_name. Device names at
// registration follow the same rule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../common/errors.ts';
import { activeDevice, api, devLogin, lifecycleKeyPair, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';

let server: TestServer;
let alice: Registered;
before(async () => {
  server = await startTestServer();
  alice = await activeDevice(server.url, 'alice');
});
after(async () => { await server.cleanup(); });

const create = (name: string) => api(server.url, 'POST', '/v1/groups', { auth: alice.auth, body: { name, members: [] } });

test('control, bidi-override and invisible-only group names are refused with invalid_name', async () => {
  for (const name of [
    '\u202Egnp.exe', 'Team\u202E', 'a\u2066b\u2069', 'nul\u0000byte', 'line\nbreak', 'tab\there', '\u200B', '\u200B\u200D\uFEFF', '\u2060 \u00AD',
    'bell\u0007', 'para\u2029graph', '\uD800lone surrogate',
  ]) {
    const res = await create(name);
    assert.equal(res.status, 400, `${JSON.stringify(name)}: ${JSON.stringify(res.body)}`);
    assert.equal(res.error?.code, ErrorCode.invalid_name, JSON.stringify(name));
  }
  // Whitespace-only is refused by the schema already.
  assert.equal((await create('   ')).status, 400);
});

test('names are NFC-normalized and trimmed; emoji sequences with joiners and non-Latin scripts are fine', async () => {
  const decomposed = await create('  Cafe\u0301 team ');
  assert.equal(decomposed.status, 201, JSON.stringify(decomposed.body));
  assert.equal(decomposed.body.name, 'Caf\u00e9 team');
  for (const name of ['👩‍💻 Engineering', 'فريق المبيعات', '営業チーム', 'Ops 🇩🇪']) {
    const res = await create(name);
    assert.equal(res.status, 201, `${name}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.name, name);
  }
  // Renaming follows the same rule.
  const rename = await api(server.url, 'PATCH', `/v1/groups/${decomposed.body.id}`, { auth: alice.auth, body: { name: 'x\u202E' } });
  assert.equal(rename.error?.code, ErrorCode.invalid_name);
  assert.equal((await api(server.url, 'GET', `/v1/groups/${decomposed.body.id}`, { auth: alice.auth })).body.name, 'Caf\u00e9 team');
});

test('a device name with control or override characters is refused before the sign-in is used', async () => {
  const { idToken } = await devLogin(server.url, 'bob');
  const register = (name: string) => api(server.url, 'POST', '/v1/devices', {
    body: { idToken, registrationId: 7, name, lifecycleKey: lifecycleKeyPair().publicKey },
  });
  const bad = await register('laptop\u202Egnp');
  assert.equal(bad.error?.code, ErrorCode.invalid_name);
  const ok = await register('Bob\u2019s laptop');
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  // Renaming it follows the same rule.
  const auth = { authorization: `Bearer ${ok.body.credential}` };
  assert.equal((await api(server.url, 'PATCH', '/v1/devices/me', { auth, body: { name: 'x\u0000y' } })).error?.code, ErrorCode.invalid_name);
  const renamed = await api(server.url, 'PATCH', '/v1/devices/me', { auth, body: { name: ' Cafe\u0301 PC ' } });
  assert.equal(renamed.body.name, 'Caf\u00e9 PC');
});
