// Workplace rules in the real UI (Debian's Chromium, browser shell, real server with a --policy-file): the
// composer tells alice BEFORE she sends that Bob is off work and when he gets it; a plain send waits on the server,
// "Send now as urgent" reaches him at once; Settings › Working hours shows and changes his hours within the org's;
// the admin console's Consent page lists who accepted the policy. Screenshots 40–42, axe on each.
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** A working day two days from now (Berlin): whenever this runs, everyone is off work now — no clock games. */
const day = WEEKDAYS[(new Date(new Date().toLocaleString('en-US', { timeZone: 'Europe/Berlin' })).getDay() + 2) % 7]!;
const dayLabel = day[0]!.toUpperCase() + day.slice(1);

let world: World;
let dir: string;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-ui-policy-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({
    text: 'Acme Corp provides Parley for work conversations. Messages are end-to-end encrypted.',
    rules: { workingHours: { timeZone: 'Europe/Berlin', days: [day], start: '09:00', end: '17:30' }, urgent: 'everyone' },
  }));
  world = await startWorld(['alice', 'bob', 'carol'], { policyFile });
});
test.afterAll(async () => {
  await world?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('held delivery notice, urgent send, working-hours settings, admin consent page', async ({ browser }) => {
  const alice = await signIn(browser, world.ui.alice!, 'alice');
  const bob = await signIn(browser, world.ui.bob!, 'bob');

  await alice.getByRole('searchbox', { name: 'Search directory' }).fill('bob');
  await alice.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: /Bob Baker/ }).click();
  const notice = alice.getByRole('status', { name: 'Off work' });
  await expect(notice).toContainText(new RegExp(`Bob Baker is off work until ${dayLabel} 09:00 \\(Europe/Berlin\\); your message will be delivered then`));

  // A plain send is held by the relay: it shows as sent here and does not reach Bob yet.
  await alice.getByRole('textbox', { name: 'Message' }).fill('Draft of the Q3 plan is in the shared folder, no rush.');
  await alice.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(alice.getByRole('log', { name: 'Messages' }).getByText('Draft of the Q3 plan is in the shared folder, no rush.')).toBeVisible();
  await alice.getByRole('textbox', { name: 'Message' }).fill('The customer demo server is down — can you restart it?');
  await shot(alice, '40-held-notice');
  await noSeriousA11yViolations(alice, 'composer with the off-work notice');

  // "Send now as urgent" delivers at once; the held one still waits.
  await notice.getByRole('button', { name: 'Send now as urgent' }).click();
  const bobList = bob.getByRole('list', { name: 'Conversations' });
  await expect(bobList.getByText('Alice Archer')).toBeVisible();
  await bobList.getByText('Alice Archer').click();
  const bobLog = bob.getByRole('log', { name: 'Messages' });
  await expect(bobLog.getByText('The customer demo server is down — can you restart it?')).toBeVisible();
  await expect(bobLog.getByText('Draft of the Q3 plan is in the shared folder, no rush.')).toHaveCount(0);

  // Settings › Working hours: the org's hours, off now; own hours outside the org's are refused with the reason.
  await bob.getByRole('button', { name: 'Settings' }).click();
  const settings = bob.getByRole('dialog', { name: 'Settings' });
  const hours = settings.getByRole('region', { name: 'Working hours' });
  await expect(hours.getByText(new RegExp(`You are off work until ${dayLabel} 09:00\\.`))).toBeVisible();
  await expect(hours.getByText("These are your organization's hours.")).toBeVisible();
  await hours.getByLabel('From').fill('08:00');
  await hours.getByRole('button', { name: 'Save working hours' }).click();
  await expect(hours.getByRole('alert')).toContainText(/Not saved: .*at most 8 h 30 min/);
  await hours.getByLabel('From').fill('10:00');
  await hours.getByLabel('To').fill('16:00');
  await hours.getByRole('button', { name: 'Save working hours' }).click();
  await expect(hours.getByText('These are your own hours.')).toBeVisible();
  await expect(hours.getByText(new RegExp(`You are off work until ${dayLabel} 10:00\\.`))).toBeVisible();
  await hours.getByRole('heading', { name: 'Working hours' }).scrollIntoViewIfNeeded();
  await shot(bob, '41-settings-working-hours');
  await noSeriousA11yViolations(bob, 'settings: working hours');
  await hours.getByRole('button', { name: "Use my organization's hours" }).click();
  await expect(hours.getByText("These are your organization's hours.")).toBeVisible();
  await settings.getByRole('button', { name: 'Close' }).click();

  // The admin console's Consent page: who accepted which version, when, from which device.
  const carol = await signIn(browser, world.ui.carol!, 'carol');
  await carol.getByRole('button', { name: 'Admin console' }).click();
  await carol.getByRole('tab', { name: 'Consent' }).click();
  const table = carol.getByRole('table', { name: /Messaging policy consent/ });
  await expect(table).toBeVisible();
  await expect(table).toContainText('3 of 3 users accepted');
  for (const email of ['alice@acme.test', 'bob@acme.test', 'carol@acme.test']) {
    await expect(table.getByRole('row', { name: new RegExp(email) }).getByText('Accepted', { exact: true })).toBeVisible();
  }
  await shot(carol, '42-admin-consent');
  await noSeriousA11yViolations(carol, 'admin console: consent');
});
