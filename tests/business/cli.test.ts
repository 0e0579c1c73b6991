// The business commands of the `parley` CLI as an admin's or a user's script runs them (real server, real
// dev-IdP sign-ins, child processes): exact exit codes (2 bad input, 5 not allowed) and one-line errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { ok, parley, startDevServer, tempDir } from '../e2e/harness.ts';

let server: RunningServer;
let root: string;
const as = (name: string, ...args: string[]) => ['--profile', join(root, name), ...args];
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

before(async () => {
  root = tempDir('business-cli');
  server = await startDevServer(join(root, 'server'));
  for (const user of ['alice', 'carol']) await ok(as(user, 'login', '--server', server.url, '--user', user));
  writeFileSync(join(root, 'logo.png'), PNG);
  writeFileSync(join(root, 'logo.svg.png'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('admin profile set: admins only; SVG and script refused with exit 2 and a sentence; everyone reads it', async () => {
  const svg = await parley(as('carol', 'admin', 'profile', 'set', '--name', 'Acme', '--logo', join(root, 'logo.svg.png')));
  assert.equal(svg.code, 2);
  assert.match(svg.stderr, /^parley: the logo must be a PNG or JPEG image/);
  const script = await parley(as('carol', 'admin', 'profile', 'set', '--name', 'Acme', '--description', '<script>alert(1)</script>'));
  assert.equal(script.code, 2);
  assert.match(script.stderr, /no markup or script/);
  const member = await parley(as('alice', 'admin', 'profile', 'set', '--name', 'Evil Corp'));
  assert.equal(member.code, 5, member.stderr);
  const set = await ok(as('carol', 'admin', 'profile', 'set', '--name', 'Acme Corp', '--logo', join(root, 'logo.png'), '--website', 'https://acme.test',
    '--support', 'help@acme.test', '--office-hours', 'Mon-Fri 9-17', '--description', 'Anvils since 1949.'));
  assert.match(set, /Company profile saved: Acme Corp \(logo image\/png/);
  const shown = JSON.parse(await ok(as('alice', 'profile', '--json')));
  assert.deepEqual([shown.name, shown.website, shown.support, shown.officeHours, shown.logo.bytes], ['Acme Corp', 'https://acme.test', 'help@acme.test', 'Mon-Fri 9-17', PNG.length]);
  assert.match(await ok(as('alice', 'profile')), /^Acme Corp\n {2}Anvils since 1949\.\nWebsite: https:\/\/acme\.test/);
  await ok(as('carol', 'admin', 'welcome', 'set', 'Welcome to Acme!'));
  // A new member's first sign-in shows it once.
  assert.match(await ok(as('bob', 'login', '--server', server.url, '--user', 'bob')), /^Signed in as Bob Baker .*\n\nWelcome to Acme!\n/);
  assert.equal((await parley(as('alice', 'admin', 'welcome', 'off'))).code, 5);
});

test('admin stats: org admins only; --json has k and the days; bad --days is exit 2', async () => {
  const s = JSON.parse(await ok(as('carol', 'admin', 'stats', '--days', '3', '--json')));
  assert.equal(s.k, 5);
  assert.equal(s.days.length, 3);
  assert.equal(s.days[2].activeUsers, null, 'two people are below the threshold');
  assert.match(await ok(as('carol', 'admin', 'stats', '--days', '1')), /<5/);
  assert.equal((await parley(as('alice', 'admin', 'stats'))).code, 5);
  assert.equal((await parley(as('carol', 'admin', 'stats', '--days', '0'))).code, 2);
});

test('away, greeting, quick replies and stats from the terminal', async () => {
  assert.match(await ok(as('alice', 'away', 'set', 'On leave', '--until', '2099-01-02')), /Away message on until 2099-01-0/);
  const shown = JSON.parse(await ok(as('alice', 'away', 'show', '--json')));
  assert.deepEqual([shown.text, shown.publish, shown.awayNow], ['On leave', true, true]);
  const past = await parley(as('alice', 'away', 'set', 'x', '--until', '2001-01-01'));
  assert.deepEqual([past.code, past.stderr], [2, 'parley: --until lies in the past\n']);
  assert.equal((await parley(as('alice', 'away', 'set', 'x', '--until', 'next week'))).code, 2);
  await ok(as('alice', 'away', 'off'));
  assert.equal(await ok(as('alice', 'away', 'show')), 'No away message.\n');
  await ok(as('alice', 'greeting', 'set', 'Hello, I will answer soon.'));
  assert.equal(await ok(as('alice', 'greeting', 'show')), 'Hello, I will answer soon.\n');

  await ok(as('alice', 'quick-replies', 'add', '/thanks', 'Thank you, much appreciated!'));
  await ok(as('alice', 'quick-replies', 'add', '/later', 'I will get back to you later today.'));
  assert.deepEqual(JSON.parse(await ok(as('alice', 'quick-replies', 'list', '--json'))).map((q: { shortcut: string }) => q.shortcut), ['/later', '/thanks']);
  await ok(as('alice', 'quick-replies', 'remove', '/later'));
  assert.equal((await parley(as('alice', 'quick-replies', 'add', 'thanks', 'x'))).code, 2);
  const missing = await parley(as('alice', 'quick-replies', 'remove', '/nope'));
  assert.deepEqual([missing.code, missing.stderr], [2, 'parley: no quick reply /nope\n']);
  assert.equal((await parley(as('alice', 'quick-replies'))).code, 2);

  await ok(as('alice', 'send', 'carol@acme.test', 'hello'));
  const stats = JSON.parse(await ok(as('alice', 'stats', '--days', '2', '--json')));
  assert.deepEqual(stats.totals, { sent: 1, delivered: 0, read: 0 });
  assert.equal(stats.days.length, 2);
});
