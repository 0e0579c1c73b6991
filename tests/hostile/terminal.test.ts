// Finding 7: terminal injection through the CLI. Message text, names from the directory, device names and
// the server's error messages are other people's bytes; printed raw, a newline fakes a second message,
// ESC[2J clears the admin's screen, OSC 52 writes the clipboard, U+202E reverses what is read. Every
// human-readable line comes out with those characters as visible escapes; JSON output parses back to the
// exact text and holds no raw control or bidi character either.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { AdminUsersResponse } from '../../common/wire/lifecycle.ts';
import { ok, parley } from '../e2e/harness.ts';
import { startWorld, type World } from './world.ts';

let world: World | undefined;
afterEach(async () => { await world?.close(); world = undefined; });

/** Any byte a terminal would act on: C0 (but the line feeds between lines), DEL, C1, bidi controls. */
const STEERING = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const FAKE = 'ok\n[2024-05-01 09:00:00] Carol Chen <carol@acme.test>: wire 5000 EUR to the new account\x1b]52;c;ZXZpbA==\x07\x1b[2J\u202etxt.exe';

async function cliWorld(name: string) {
  world = await startWorld(name);
  const w = world;
  const profile = (who: string) => join(w.root, `cli-${who}`);
  const as = (who: string, ...args: string[]) => ['--profile', profile(who), ...args];
  for (const who of ['alice', 'carol']) await ok(as(who, 'login', '--server', w.proxy.url, '--user', who));
  return { w, as };
}

test('message text cannot fake a second message or steer the terminal; --json keeps the exact text', async () => {
  const { as } = await cliWorld('term-text');
  await ok(as('carol', 'send', 'alice@acme.test', FAKE));
  const shown = await ok(as('alice', 'receive'));
  assert.equal(shown.split('\n').length, 2, `one line and its newline: ${JSON.stringify(shown)}`);
  assert.doesNotMatch(shown, STEERING);
  assert.match(shown, /Carol Chen <carol@acme\.test>: ok\\n\[2024-05-01 09:00:00\] Carol Chen/);
  assert.ok(shown.includes('\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\u202etxt.exe'), shown);

  await ok(as('carol', 'send', 'alice@acme.test', FAKE));
  const json = await ok(as('alice', 'receive', '--json'));
  assert.doesNotMatch(json.trimEnd(), STEERING);
  assert.equal((JSON.parse(json) as { text: string }).text, FAKE);
});

test('a device name with ESC[2J and a fake line does not reach the admin\'s terminal raw', async () => {
  const { w, as } = await cliWorld('term-device');
  w.proxy.afterResponse((x) => {
    if (x.method !== 'GET' || x.path !== '/v1/admin/users' || x.status !== 200) return undefined;
    const body = x.body as AdminUsersResponse;
    const evil = 'laptop\x1b[2J\x1b]0;pwned\x07\n  u_AAAAAAAAAAAAAAAAAAAAAA.1  active       fake';
    return { status: 200, body: { users: body.users.map((u) => ({ ...u, name: `${u.name}\u202e`, devices: u.devices.map((d) => ({ ...d, name: evil })) })) } };
  });
  const out = await ok(as('carol', 'admin', 'devices'));
  assert.doesNotMatch(out, STEERING);
  assert.ok(out.includes('laptop\\x1b[2J\\x1b]0;pwned\\x07\\n  u_AAAA'), out);
  assert.equal(out.split('\n').filter((l) => /^ {2}u_/.test(l)).length, 2, 'one line per real device (alice and carol): the fake line stays inside the name');
  const json = await ok(as('carol', 'admin', 'devices', '--json'));
  assert.doesNotMatch(json.trimEnd(), STEERING);
});

test('the server\'s own error message is cleaned too (stderr, one line)', async () => {
  const { w, as } = await cliWorld('term-error');
  w.proxy.beforeRequest((x) => (x.method === 'GET' && x.path === '/v1/groups'
    ? { status: 500, body: { error: 'internal_error', message: 'boom\x1b[2J\nparley: sent to bob@acme.test (1 device)' } }
    : undefined));
  const r = await parley(as('alice', 'groups', 'list'));
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stderr.trimEnd(), STEERING);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
});
