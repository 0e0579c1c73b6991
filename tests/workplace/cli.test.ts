// The workplace rules through the real `parley` CLI against the real server (dev IdP, real SQLCipher profiles) with
// an injected server clock: consent required → explained → accepted (also `login --accept-policy`), `send` tells
// about a recipient off work and `--json` gives heldUntil, `--urgent` delivers at once, `working-hours` show/set
// within the org's bounds, `admin consent` lists who accepted, and the held message arrives at the next working period.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { jsonLines, ok, parley, startDevServer, tempDir } from '../e2e/harness.ts';

const POLICY = {
  version: 'cli-v1', text: 'Acme messaging policy.\nUse Parley for work.',
  rules: { workingHours: { timeZone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:30' }, urgent: 'everyone' },
};
const SATURDAY_NOON = Date.parse('2026-11-28T12:00:00Z');
const MONDAY_9_BERLIN = Date.parse('2026-11-30T08:00:00Z');

let server: RunningServer;
let root: string;
/** Real time while people sign in (ID tokens carry real times), then what the test sets. */
let fixed: number | undefined;
const as = (name: string, ...args: string[]) => ['--profile', join(root, name), ...args];

before(async () => {
  root = tempDir('workplace-cli');
  server = await startDevServer(join(root, 'server'), 0, { policy: POLICY as never, now: () => fixed ?? Date.now(), heldReleaseIntervalMs: 50 });
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('consent: refused sends point to consent show/accept; accept records it; login --accept-policy prints and accepts', async () => {
  const login = await ok(as('alice', 'login', '--server', server.url, '--user', 'alice'));
  assert.match(login, /parley consent show, then parley consent accept/);
  await ok(as('bob', 'login', '--server', server.url, '--user', 'bob'));

  const refused = await parley(as('alice', 'send', 'bob@acme.test', 'hello'));
  assert.equal(refused.code, 5, refused.stderr);
  assert.match(refused.stderr, /^parley: Accept your organization's messaging policy \(version cli-v1\).*parley consent show.*parley consent accept\n$/);

  const shown = await ok(as('alice', 'consent', 'show'));
  assert.match(shown, /^Acme messaging policy\.\nUse Parley for work\.\n\nNot accepted yet \(version cli-v1\)/);
  assert.match(await ok(as('alice', 'consent', 'accept')), /^Accepted the messaging policy \(version cli-v1\) on .* from device 1\.\n$/);
  const status = jsonLines(await ok(as('alice', 'consent', 'show', '--json')))[0]!;
  assert.equal(status.accepted, true);

  const carol = await ok(as('carol', 'login', '--server', server.url, '--user', 'carol', '--accept-policy'));
  assert.match(carol, /Acme messaging policy\.\nUse Parley for work\.\nAccepted the messaging policy \(version cli-v1\)\./);

  const list = jsonLines(await ok(as('carol', 'admin', 'consent', '--json')))[0] as { version: string; users: Array<{ email: string; current: boolean }> };
  assert.equal(list.version, 'cli-v1');
  assert.deepEqual(list.users.map((u) => [u.email, u.current]), [['alice@acme.test', true], ['bob@acme.test', false], ['carol@acme.test', true]]);
  assert.match(await ok(as('carol', 'admin', 'consent')), /Bob Baker <bob@acme.test> {2}not accepted/);
  assert.equal((await parley(as('alice', 'admin', 'consent'))).code, 5);
  await ok(as('bob', 'consent', 'accept'));
});

test('held delivery: send says when Bob is back and --json gives heldUntil; --urgent arrives at once; the rest at 09:00 Monday', async () => {
  fixed = SATURDAY_NOON;
  assert.match(await ok(as('bob', 'working-hours', 'show')),
    /^Working hours: mon-fri 09:00–17:30 \(Europe\/Berlin\) \(your organization's\)\nYou are off work until Mon 09:00: messages to you are held/);

  const sent = await ok(as('alice', 'send', 'bob@acme.test', 'weekend thought'));
  assert.match(sent, /Bob Baker is off work until Mon 09:00 \(Europe\/Berlin\); your message will be delivered then\n$/);
  const json = jsonLines(await ok(as('alice', 'send', 'bob@acme.test', 'second thought', '--json')))[0]!;
  assert.deepEqual(json.heldUntil, { 'bob@acme.test': new Date(MONDAY_9_BERLIN).toISOString() });

  await ok(as('alice', 'send', 'bob@acme.test', 'the build is broken', '--urgent'));
  const early = await ok(as('bob', 'receive', '--json'));
  assert.deepEqual(jsonLines(early).map((m) => m.text), ['the build is broken'], 'only the urgent one before Monday');

  // Own hours must stay within the org's: a longer day is refused with the reason.
  const longer = await parley(as('bob', 'working-hours', 'set', '--days', 'mon-fri', '--from', '08:00', '--to', '17:30'));
  assert.equal(longer.code, 2);
  assert.match(longer.stderr, /at most 8 h 30 min/);
  const bad = await parley(as('bob', 'working-hours', 'set', '--days', 'funday', '--from', '09:00', '--to', '17:00'));
  assert.equal(bad.code, 2);

  fixed = MONDAY_9_BERLIN;
  const later = await ok(as('bob', 'receive', '--wait', '2', '--json'));
  assert.deepEqual(jsonLines(later).map((m) => m.text), ['weekend thought', 'second thought']);
});

test('working hours: set own hours (narrower, another zone), show them as JSON, reset to the org\'s', async () => {
  fixed = Date.parse('2026-12-01T10:00:00Z'); // Tuesday 11:00 Berlin
  const set = jsonLines(await ok(as('bob', 'working-hours', 'set', '--days', 'tue-thu', '--from', '10:00', '--to', '16:00', '--tz', 'Europe/Lisbon', '--json')))[0]!;
  assert.deepEqual(set.effective, { timeZone: 'Europe/Lisbon', days: ['tue', 'wed', 'thu'], start: '10:00', end: '16:00' });
  assert.equal(set.source, 'own');
  assert.equal(set.offUntil, null);
  const reset = jsonLines(await ok(as('bob', 'working-hours', 'reset', '--json')))[0]!;
  assert.equal(reset.source, 'org');
});
