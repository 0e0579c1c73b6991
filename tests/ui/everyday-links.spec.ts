// Links in messages are clickable: only http(s), shown in full in a confirmation, then opened in a new
// browser tab (the browser shell's stand-in for the system browser). The loopback "Signed in" page is styled
// like the app under a strict CSP. Real server, dev IdP, browser shells, Chromium; axe on both.
import { test, expect } from '@playwright/test';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;
test.beforeAll(async () => { world = await startWorld(['alice', 'bob', 'dave']); });
test.afterAll(async () => { await world?.stop(); });

test('the "Signed in" tab is styled like the app, with a CSP that allows only its own style', async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(world.ui.dave!);
  const popup = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Sign in with your organization' }).click();
  const idp = await popup;
  await idp.getByRole('textbox', { name: 'Username' }).fill('dave');
  const callback = idp.waitForResponse((r) => new URL(r.url()).pathname === '/callback');
  await idp.getByRole('button', { name: 'Sign in' }).click();
  const csp = (await callback).headers()['content-security-policy'] ?? '';
  expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+';/);
  await expect(idp.getByRole('heading', { name: 'Signed in' })).toBeVisible();
  await expect(idp.getByText('You can close this tab')).toBeVisible();
  // The style ran (a style the CSP blocked would leave the card unstyled).
  expect(await idp.locator('main').evaluate((el) => getComputedStyle(el).borderTopLeftRadius)).toBe('14px');
  await shot(idp, '35-signed-in-tab');
  await noSeriousA11yViolations(idp, 'signed-in tab');
  await idp.close();
  await page.context().close();
});

test('a web link in a message opens after its full address is shown; other schemes stay text', async ({ browser }) => {
  const alice = await signIn(browser, world.ui.alice!, 'alice');
  const bob = await signIn(browser, world.ui.bob!, 'bob');
  const target = `${world.serverUrl}/healthz?from=chat`;
  await alice.getByRole('searchbox', { name: 'Search directory' }).fill('bob');
  await alice.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: /Bob Baker/ }).click();
  await alice.getByRole('textbox', { name: 'Message' }).fill(`The status page: ${target}. Not a link: javascript:alert(1)`);
  await alice.getByRole('button', { name: 'Send' }).click();

  await bob.getByRole('button', { name: /^Alice Archer/ }).click();
  const log = bob.getByRole('log', { name: 'Messages' });
  const link = log.getByRole('link', { name: target });
  await expect(link).toBeVisible();
  await expect(log.getByRole('link')).toHaveCount(1);
  await expect(log.getByText(/Not a link: javascript:alert\(1\)/)).toBeVisible();

  // Cancel opens nothing.
  await link.click();
  const confirm = bob.getByRole('dialog', { name: 'Open this link?' });
  await expect(confirm).toContainText(target);
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toBeHidden();

  await link.click();
  await expect(confirm).toContainText(target);
  await noSeriousA11yViolations(bob, 'open-link confirmation');
  await shot(bob, '36-open-link');
  const opened = bob.waitForEvent('popup');
  await confirm.getByRole('button', { name: 'Open link' }).click();
  const tab = await opened;
  await tab.waitForLoadState();
  expect(tab.url()).toBe(target);
  await expect(confirm).toBeHidden();
});
