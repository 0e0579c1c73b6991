// Business tools in the real UI (Debian's Chromium, browser shell, real server and dev IdP): an org admin sets
// the company profile with a logo (an SVG and script in text are refused with a sentence), the welcome message
// and reads the org statistics chart; a new member sees the welcome message once at first sign-in, the company
// profile, sets an away message and a quick reply in Settings; a colleague sees the away notice before writing;
// typing / in the composer opens the "Quick replies" listbox; the Statistics screen charts what was sent.
// Screenshots 80–86, axe on each.
import { test, expect } from '@playwright/test';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

// A real 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

let world: World;

test.beforeAll(async () => {
  world = await startWorld(['alice', 'bob', 'carol']);
});
test.afterAll(async () => {
  await world?.stop();
});

test('company profile, welcome message, away notice, quick replies, statistics', async ({ browser }) => {
  // The org admin: Admin console › Company.
  const carol = await signIn(browser, world.ui.carol!, 'carol');
  // The charts (Chart.js on a canvas) run under the UI's strict CSP: not one violation.
  const violations: string[] = [];
  carol.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  await carol.getByRole('button', { name: 'Admin console' }).click();
  await carol.getByRole('tab', { name: 'Company' }).click();
  const panel = carol.getByRole('tabpanel', { name: 'Company' });
  await panel.getByLabel('Company name').fill('Acme Corp');
  await panel.getByLabel(/^Logo/).setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: SVG });
  await expect(panel.getByRole('alert')).toHaveText('The logo must be a PNG or JPEG image (SVG and other formats are refused).');
  await panel.getByLabel(/^Logo/).setInputFiles({ name: 'acme.png', mimeType: 'image/png', buffer: PNG });
  await panel.getByLabel('Description').fill('<script>alert(1)</script>');
  await panel.getByRole('button', { name: 'Save company profile' }).click();
  await expect(panel.getByRole('alert')).toContainText(/Not saved: The description may not contain < or > \(no markup or script\)\./);
  await panel.getByLabel('Description').fill('We make anvils, rockets and roller skates.\nSince 1949.');
  await panel.getByLabel('Website').fill('https://acme.test');
  await panel.getByLabel('Support contact').fill('help@acme.test · ext. 4000');
  await panel.getByLabel('Office hours').fill('Mon–Fri 9:00–17:30 (Berlin)');
  await panel.getByRole('button', { name: 'Save company profile' }).click();
  await expect(panel.getByText('Company profile saved.')).toBeVisible();
  await panel.getByLabel(/Shown to every new member/).fill('Welcome to Acme! Your team channel is "Anvils". Say hi.');
  await panel.getByRole('button', { name: 'Save welcome message' }).click();
  await expect(panel.getByText('Welcome message saved.')).toBeVisible();
  await expect(panel.getByRole('table', { name: /Per day/ })).toBeVisible();
  await expect(panel.getByRole('table', { name: /Per day/ }).getByRole('cell', { name: '<5' }).first()).toBeVisible();
  await shot(carol, '80-admin-company');
  expect(violations).toEqual([]);
  await noSeriousA11yViolations(carol, 'admin console: company');

  // A new member: the welcome message once, at first sign-in; the company in the sidebar header.
  const alice = await signIn(browser, world.ui.alice!, 'alice');
  const aliceViolations: string[] = [];
  alice.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) aliceViolations.push(m.text()); });
  const welcome = alice.getByRole('dialog', { name: 'Welcome' });
  await expect(welcome).toContainText('Welcome to Acme! Your team channel is "Anvils". Say hi.');
  await shot(alice, '81-welcome-message');
  await noSeriousA11yViolations(alice, 'welcome message');
  await welcome.getByRole('button', { name: 'Get started' }).click();
  await expect(alice.getByRole('img', { name: 'Acme Corp logo' })).toHaveCount(0);
  await expect(alice.locator('.business-header').getByText('Acme Corp', { exact: true })).toBeVisible();
  await alice.getByRole('button', { name: 'Company profile' }).click();
  const profile = alice.getByRole('dialog', { name: 'Company profile' });
  await expect(profile.getByRole('img', { name: 'Acme Corp logo' })).toBeVisible();
  await expect(profile).toContainText('We make anvils, rockets and roller skates.');
  await expect(profile).toContainText('help@acme.test · ext. 4000');
  await expect(profile.getByRole('button', { name: 'https://acme.test' })).toBeVisible();
  await shot(alice, '82-company-profile');
  await noSeriousA11yViolations(alice, 'company profile');
  await profile.getByRole('button', { name: 'Close' }).click();

  // Settings: away message (shown in the directory) and a quick reply.
  await alice.getByRole('button', { name: 'Settings' }).click();
  const settings = alice.getByRole('dialog', { name: 'Settings' });
  const away = settings.getByRole('region', { name: 'Away message' });
  await away.getByLabel('Message', { exact: true }).fill('On a customer visit until Friday; for urgent matters call the support desk.');
  await away.getByRole('button', { name: 'Turn on away message' }).click();
  await expect(away.getByText('You are away now.')).toBeVisible();
  const quick = settings.getByRole('region', { name: 'Quick replies' });
  await quick.getByLabel('Shortcut').fill('/thanks');
  await quick.getByLabel('Reply').fill('Thank you — I will get back to you by the end of the day.');
  await quick.getByRole('button', { name: 'Add quick reply' }).click();
  await expect(quick.getByRole('list', { name: 'Your quick replies' })).toContainText('/thanks');
  await away.getByRole('heading', { name: 'Away message' }).scrollIntoViewIfNeeded();
  await shot(alice, '83-settings-away-quick-replies');
  await noSeriousA11yViolations(alice, 'settings: away message and quick replies');
  await settings.getByRole('button', { name: 'Close' }).click();

  // A colleague sees the away message before writing.
  const bob = await signIn(browser, world.ui.bob!, 'bob');
  await bob.getByRole('dialog', { name: 'Welcome' }).getByRole('button', { name: 'Get started' }).click();
  await bob.getByRole('searchbox', { name: 'Search directory' }).fill('alice');
  await bob.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: /Alice Archer/ }).click();
  const notice = bob.getByRole('status', { name: 'Away' });
  await expect(notice).toContainText('Alice Archer is away: On a customer visit until Friday');
  await shot(bob, '84-away-notice');
  await noSeriousA11yViolations(bob, 'composer with the away notice');
  await bob.getByRole('textbox', { name: 'Message' }).fill('Hi Alice, quick question about the anvil order.');
  await bob.getByRole('button', { name: 'Send', exact: true }).click();
  // Alice's device answers once, automatically, end-to-end encrypted.
  await expect(bob.getByRole('log', { name: 'Messages' }).getByText(/On a customer visit until Friday/)).toBeVisible();
  await expect(bob.getByRole('log', { name: 'Messages' }).getByText('automatic away reply')).toBeVisible();

  // Alice's composer: "/" opens the quick replies, filtered as she types.
  await alice.getByRole('list', { name: 'Conversations' }).getByText('Bob Baker').click();
  const box = alice.getByRole('textbox', { name: 'Message' });
  await box.fill('/');
  const listbox = alice.getByRole('listbox', { name: 'Quick replies' });
  await expect(listbox.getByRole('option', { name: /\/thanks/ })).toBeVisible();
  await box.fill('/th');
  await expect(listbox.getByRole('option')).toHaveCount(1);
  await shot(alice, '85-quick-replies');
  await noSeriousA11yViolations(alice, 'composer: quick replies');
  await box.press('Enter');
  await expect(box).toHaveValue('Thank you — I will get back to you by the end of the day.');
  await expect(listbox).toBeHidden();
  await box.press('Enter');
  await expect(alice.getByRole('log', { name: 'Messages' }).getByText('Thank you — I will get back to you by the end of the day.')).toBeVisible();

  // Statistics: what alice sent, computed on her device.
  await alice.getByRole('button', { name: 'Statistics' }).click();
  const stats = alice.getByRole('dialog', { name: 'Statistics' });
  await expect(stats.getByRole('status')).toContainText(/^[1-9]\d* sent · \d+ delivered · \d+ read$/);
  await expect(stats.getByRole('table', { name: 'Per day' })).toBeVisible();
  await expect(stats.getByRole('table', { name: 'Messages per chat' }).getByRole('rowheader', { name: 'Bob Baker' })).toBeVisible();
  await shot(alice, '86-statistics');
  expect(aliceViolations).toEqual([]);
  await noSeriousA11yViolations(alice, 'statistics');
  await stats.getByRole('button', { name: 'Close' }).click();

  // The welcome message was shown once: a reload does not show it again.
  await alice.reload();
  await expect(alice.getByRole('searchbox', { name: 'Search directory' })).toBeVisible();
  await expect(alice.getByRole('dialog', { name: 'Welcome' })).toHaveCount(0);
});
