// The business routes through the real server, real dev-IdP sign-ins and real devices: the company profile's
// validation (SVG, oversized image, script in text, javascript: links, non-admins), the logo served with a strict
// type and nosniff, the audit entry, the welcome message, the published away status, and the org statistics
// counted against a scripted exchange with k-anonymity suppression and the day's set dropped when it closes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from '@signalapp/sqlcipher';
import type { RunningServer } from '../../server/app.ts';
import { defaultVault, loginNewDevice, type Messenger } from '../../electron/core/messenger.ts';
import { LocalStore } from '../../electron/core/store/local-store.ts';
import { startDevServer, tempDir } from '../e2e/harness.ts';

// A real 1×1 PNG and the start of a JPEG; an SVG with script.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

let server: RunningServer;
let root: string;
// Every step within the 12 hours an admin's sign-in stays fresh for admin rights.
let clock = Date.parse('2026-03-05T16:00:00Z');
const open: Messenger[] = [];
const cred = new Map<string, string>();
const ms = new Map<string, Messenger>();

async function device(user: string): Promise<void> {
  const dir = join(root, user);
  const m = await loginNewDevice(dir, server.url, { kind: 'dev-user', username: user }, { now: () => clock });
  open.push(m);
  ms.set(user, m);
  const store = await LocalStore.open(dir, defaultVault(dir));
  try { cred.set(user, store.getMeta('credential')!); } finally { store.close(); }
}

async function call(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers; raw: Buffer }> {
  const res = await fetch(`${server.url}${path}`, {
    method, headers: { authorization: `Bearer ${cred.get(user)}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const raw = Buffer.from(await res.arrayBuffer());
  let json: unknown;
  try { json = JSON.parse(raw.toString()); } catch { json = undefined; }
  return { status: res.status, json, headers: res.headers, raw };
}

before(async () => {
  root = tempDir('business');
  server = await startDevServer(join(root, 'server'), 0, { now: () => clock, statsK: 3 });
  for (const u of ['alice', 'bob', 'carol']) await device(u);
});
after(async () => {
  for (const m of open) m.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('company profile: only org admins set it; bad input is refused with a sentence; everyone reads it', async () => {
  const good = { name: 'Acme Corp', description: 'We make anvils.\nSince 1949.', website: 'https://acme.test', support: 'help@acme.test', officeHours: 'Mon–Fri 9–17' };
  assert.equal((await call('alice', 'PUT', '/v1/admin/org/profile', good)).status, 403, 'a member is not an admin');
  const refusals: Array<[object, RegExp]> = [
    [{ ...good, logo: SVG.toString('base64') }, /PNG or JPEG/],
    [{ ...good, logo: Buffer.concat([PNG, Buffer.alloc(300 * 1024)]).toString('base64') }, /larger than 256 KiB|body/i],
    [{ ...good, description: 'Hi <script>alert(1)</script>' }, /no markup or script/],
    [{ ...good, name: '<img src=x onerror=alert(1)>' }, /no markup or script/],
    [{ ...good, website: 'javascript:alert(1)' }, /https:\/\//],
    [{ ...good, name: 'Acme\u202Egnp.exe' }, /bidirectional/],
    [{ ...good, name: '   ' }, /visible/],
  ];
  for (const [body, message] of refusals) {
    const r = await call('carol', 'PUT', '/v1/admin/org/profile', body);
    assert.ok(r.status === 400 || r.status === 413, `${JSON.stringify(body).slice(0, 80)} → ${r.status}`);
    assert.match(r.json.message, message);
  }
  assert.deepEqual((await call('bob', 'GET', '/v1/org/profile')).json, { profile: null }, 'nothing was stored by the refusals');

  const set = await call('carol', 'PUT', '/v1/admin/org/profile', { ...good, logo: PNG.toString('base64') });
  assert.equal(set.status, 200);
  const seen = (await call('bob', 'GET', '/v1/org/profile')).json.profile;
  assert.equal(seen.name, 'Acme Corp');
  assert.equal(seen.description, good.description);
  assert.deepEqual([seen.logo.contentType, seen.logo.bytes], ['image/png', PNG.length]);
  const logo = await call('bob', 'GET', '/v1/org/logo');
  assert.equal(logo.status, 200);
  assert.equal(logo.headers.get('content-type'), 'image/png');
  assert.equal(logo.headers.get('x-content-type-options'), 'nosniff');
  assert.match(logo.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.ok(logo.raw.equals(PNG));
  assert.equal((await fetch(`${server.url}/v1/org/logo`)).status, 401, 'not without a credential');

  // A later change without `logo` keeps it; the act is in the audit log.
  await call('carol', 'PUT', '/v1/admin/org/profile', { ...good, name: 'Acme Corporation' });
  assert.equal((await call('bob', 'GET', '/v1/org/profile')).json.profile.logo.bytes, PNG.length);
  const audit = (await call('carol', 'GET', '/v1/admin/audit')).json.entries as Array<{ action: string; actor: { email: string } }>;
  assert.ok(audit.filter((e) => e.action === 'org profile changed' && e.actor.email === 'carol@acme.test').length >= 2, JSON.stringify(audit.slice(0, 3)));
});

test('welcome message: set by an admin, read by every member, cleared with null', async () => {
  assert.equal((await call('bob', 'PUT', '/v1/admin/org/welcome', { text: 'hi' })).status, 403);
  assert.equal((await call('carol', 'PUT', '/v1/admin/org/welcome', { text: 'Welcome <b>aboard</b>' })).status, 400);
  assert.equal((await call('carol', 'PUT', '/v1/admin/org/welcome', { text: 'Welcome to Acme! Read the handbook first.' })).status, 200);
  assert.equal((await call('alice', 'GET', '/v1/org/welcome')).json.text, 'Welcome to Acme! Read the handbook first.');
  await call('carol', 'PUT', '/v1/admin/org/welcome', { text: null });
  assert.equal((await call('alice', 'GET', '/v1/org/welcome')).json.text, null);
});

test('away status: published by its owner only, gone after its return date or when switched off', async () => {
  const bobId = ms.get('bob')!.me.userId;
  assert.deepEqual((await call('alice', 'GET', `/v1/users/${bobId}/away`)).json, { away: null });
  assert.equal((await call('bob', 'PUT', '/v1/me/away', { text: 'On leave <script>', outsideWorkingHours: false })).status, 400);
  assert.equal((await call('bob', 'PUT', '/v1/me/away', { text: 'On leave', until: clock + 3_600_000, outsideWorkingHours: false })).status, 204);
  assert.deepEqual((await call('alice', 'GET', `/v1/users/${bobId}/away`)).json, { away: { text: 'On leave', until: clock + 3_600_000, outsideWorkingHours: false } });
  clock += 3_600_000;
  assert.deepEqual((await call('alice', 'GET', `/v1/users/${bobId}/away`)).json, { away: null }, 'past its return date');
  await call('bob', 'PUT', '/v1/me/away', { text: 'Out', outsideWorkingHours: true });
  assert.equal((await call('bob', 'DELETE', '/v1/me/away')).status, 204);
  assert.deepEqual((await call('alice', 'GET', `/v1/users/${bobId}/away`)).json, { away: null });
});

test('org statistics: a scripted exchange counted exactly; figures below k withheld; a closed day keeps only numbers', async () => {
  clock = Date.parse('2026-03-05T20:00:00Z');
  const alice = ms.get('alice')!;
  for (let i = 0; i < 4; i++) await alice.sendText('bob@acme.test', `hello ${i}`);
  await ms.get('bob')!.sendText('alice@acme.test', 'hi back');
  assert.equal((await call('alice', 'GET', '/v1/admin/stats')).status, 403, 'members do not see org statistics');
  const today = (await call('carol', 'GET', '/v1/admin/stats?days=2')).json;
  assert.equal(today.k, 3);
  assert.deepEqual(today.days.map((d: { day: string }) => d.day), ['2026-03-04', '2026-03-05']);
  const d = today.days[1];
  assert.equal(d.messagesRelayed, 5, 'four sends from alice and one from bob');
  assert.equal(d.activeUsers, 3, 'alice, bob and carol (asking counts as activity)');
  assert.equal(d.activeDevices, 3);
  assert.equal(d.groups, null, 'no group messages: 0 < k is withheld');
  assert.deepEqual(today.days[0], { day: '2026-03-04', messagesRelayed: null, activeDevices: null, activeUsers: null, groups: null });
  assert.equal((await call('carol', 'GET', '/v1/admin/stats?days=999')).status, 400);

  // Below k: with only two people active on a day, none of their figures is shown.
  clock = Date.parse('2026-03-06T01:00:00Z');
  await alice.sendText('bob@acme.test', 'one');
  await alice.sendText('bob@acme.test', 'two');
  const next = (await call('carol', 'GET', '/v1/admin/stats?days=2')).json.days;
  assert.deepEqual(next[1], { day: '2026-03-06', messagesRelayed: null, activeDevices: null, activeUsers: null, groups: null });
  assert.deepEqual([next[0].messagesRelayed, next[0].activeUsers], [5, 3], 'the closed day keeps its numbers');
});

test('org statistics: counts not yet written go in when the server closes; the data holds no per-person trace of a closed day', async () => {
  // A send after the last read of the statistics: still only buffered in the server when it closes.
  await ms.get('alice')!.sendText('bob@acme.test', 'three');
  await server.close();
  const db = new Database(join(root, 'server', 'parley-server.db'));
  try {
    const relayed = db.prepare('SELECT messages_relayed FROM stats_daily WHERE day = ?').get(['2026-03-06']) as { messages_relayed: number } | undefined;
    assert.equal(relayed?.messages_relayed, 3, 'the two sends read before and the one buffered at close');
    const days = db.prepare('SELECT DISTINCT day FROM stats_open').all().map((r) => (r as { day: string }).day);
    assert.ok(days.every((d) => d >= '2026-03-06'), `open sets left for closed days: ${days}`);
    const cols = db.prepare('PRAGMA table_info(stats_daily)').all().map((r) => (r as { name: string }).name);
    assert.deepEqual(cols.sort(), ['active_devices', 'active_groups', 'active_users', 'day', 'messages_relayed']);
  } finally {
    db.close();
  }
});
