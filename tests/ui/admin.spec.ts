// Remote wipe through the real UI in Debian's Chromium: carol (an org admin in the dev IdP) opens the admin
// console, finds bob's device and wipes it with a reason; bob's running app turns into the wiped screen; the
// audit log shows the request and, once bob's device sent its signed receipt, the confirmation. bob (no admin)
// has no console and the core refuses him the admin API. Screenshots 11–14 in docs/screenshots/, axe on each.
import { test, expect } from '@playwright/test';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;

test.beforeAll(async () => { world = await startWorld(['carol', 'bob']); });
test.afterAll(async () => { await world?.stop(); });

test('carol (org admin) wipes bob\'s device from the admin console; bob sees the wiped screen; the audit log records it', async ({ browser }) => {
  const carol = await signIn(browser, world.ui.carol!, 'carol');
  const bob = await signIn(browser, world.ui.bob!, 'bob');

  // bob is no org admin: no console, and the admin API refuses him.
  await expect(bob.getByRole('button', { name: 'Settings' })).toBeVisible();
  await expect(bob.getByRole('button', { name: 'Admin console' })).toHaveCount(0);
  const refused = await bob.evaluate(async () => {
    const api = (window as unknown as { parley: { call(m: string, i: object): Promise<unknown> } }).parley;
    try { await api.call('admin.users', {}); return null; } catch (err) { return String(err instanceof Error ? err.message : err); }
  });
  expect(refused, 'admin.users as bob').not.toBeNull();

  // Users and devices.
  await carol.getByRole('button', { name: 'Admin console' }).click();
  await expect(carol.getByRole('heading', { name: 'Admin console', level: 1 })).toBeVisible();
  await expect(carol.getByRole('tab', { name: 'Users and devices' })).toHaveAttribute('aria-selected', 'true');
  const users = carol.getByRole('table', { name: /Users and devices/ });
  await expect(users).toBeVisible();
  await expect(users.getByText('bob@acme.test')).toBeVisible();
  await expect(users.getByText('carol@acme.test')).toBeVisible();
  await carol.getByRole('textbox', { name: 'Filter users' }).fill('bob');
  await expect(users.getByText('carol@acme.test')).toHaveCount(0);
  const bobRow = users.getByRole('row', { name: /Bob Baker/ });
  await expect(bobRow).toHaveCount(1);
  await expect(bobRow.getByText('Active')).toBeVisible();
  await expect(bobRow.getByText(/^u_[A-Za-z0-9_-]{22}\.[1-9][0-9]*$/)).toBeVisible();
  await carol.getByRole('textbox', { name: 'Filter users' }).fill('');
  await expect(users.getByText('carol@acme.test')).toBeVisible();
  await shot(carol, '11-admin-users');
  await noSeriousA11yViolations(carol, 'admin console: users and devices');

  // Wipe bob's device: a confirmation that explains the consequence and requires a reason.
  await bobRow.getByRole('button', { name: 'Wipe device' }).click();
  const confirm = carol.getByRole('dialog', { name: /Wipe Bob Baker's device/ });
  await expect(confirm).toBeVisible();
  await expect(confirm.getByText(/erased the next time it is online or started; this cannot be undone/)).toBeVisible();
  await confirm.getByRole('button', { name: 'Wipe', exact: true }).click();
  await expect(confirm.getByText(/Enter a reason/)).toBeVisible();
  await expect(confirm.getByRole('textbox', { name: 'Reason' })).toBeFocused();
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await confirm.getByRole('textbox', { name: 'Reason' }).fill('Laptop left in a taxi, ticket IT-5120');
  await shot(carol, '12-admin-wipe-confirm');
  await noSeriousA11yViolations(carol, 'wipe confirmation dialog');
  await confirm.getByRole('button', { name: 'Wipe', exact: true }).click();
  await expect(confirm).toHaveCount(0);
  await expect(carol.getByRole('status').filter({ hasText: 'Wipe requested for 1 device' })).toBeVisible();
  await expect(bobRow.getByText(/Wipe pending|Wiped/)).toBeVisible();

  // bob's running app wipes itself and says so.
  await expect(bob.getByRole('heading', { name: 'This device was wiped' })).toBeVisible({ timeout: 5_000 });
  await expect(bob.getByText(/wiped by .+ on /)).toBeVisible();
  await expect(bob.getByText(/contact your IT administrator/)).toBeVisible();
  await expect(bob.getByRole('searchbox', { name: 'Search directory' })).toHaveCount(0);
  await shot(bob, '14-wiped');
  await noSeriousA11yViolations(bob, 'wiped screen');

  // Audit log: the request at once, the device's confirmation once its receipt arrived.
  await carol.getByRole('tab', { name: 'Audit log' }).click();
  const audit = carol.getByRole('table', { name: /Audit log/ });
  await expect(audit).toBeVisible();
  const requested = audit.getByRole('row').filter({ hasText: 'wipe requested' });
  await expect(requested).toHaveCount(1);
  await expect(requested).toContainText('carol@acme.test');
  await expect(requested).toContainText('bob@acme.test');
  await expect(requested).toContainText('Laptop left in a taxi, ticket IT-5120');
  const confirmed = audit.getByRole('row').filter({ hasText: 'wipe confirmed' });
  await expect(async () => {
    await carol.getByRole('button', { name: 'Refresh' }).click();
    await expect(confirmed).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 10_000, intervals: [250, 500, 1_000] });
  // Newest first: the confirmation sits above the request.
  const rows = await audit.getByRole('row').allInnerTexts();
  const at = (text: string) => rows.findIndex((r) => r.includes(text));
  expect(at('wipe confirmed')).toBeLessThan(at('wipe requested'));
  await shot(carol, '13-admin-audit');
  await noSeriousA11yViolations(carol, 'admin console: audit log');

  // The users table shows the device as wiped; back to the chats.
  await carol.getByRole('tab', { name: 'Users and devices' }).click();
  await expect(bobRow.getByText('Wiped', { exact: true })).toBeVisible({ timeout: 10_000 });
  await expect(bobRow.getByRole('button', { name: 'Wipe device' })).toBeDisabled();
  await carol.getByRole('button', { name: 'Back to chats' }).click();
  await expect(carol.getByRole('searchbox', { name: 'Search directory' })).toBeVisible();
  await expect(carol.getByRole('button', { name: 'Admin console' })).toBeFocused();
});
