// Two people chat through the real UI in Debian's Chromium: sign-in through the real dev IdP in a new tab,
// consent, directory search, live messages with delivery state, safety numbers — with a screenshot of every
// screen (docs/screenshots/) and an axe check of each.
import { test, expect, type Page, type Browser } from '@playwright/test';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startWorld, type World } from './fixtures.ts';

const SHOTS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
let world: World;

test.beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  world = await startWorld(['alice', 'bob']);
});
test.afterAll(async () => { await world?.stop(); });

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function noSeriousA11yViolations(page: Page, where: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`), `axe on ${where}`).toEqual([]);
}

async function signIn(browser: Browser, who: string, shots: boolean): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(world.ui[who]!);
  const signInButton = page.getByRole('button', { name: 'Sign in with your organization' });
  await expect(signInButton).toBeVisible();
  if (shots) { await shot(page, '01-sign-in'); await noSeriousA11yViolations(page, 'sign-in'); }
  const popupPromise = page.waitForEvent('popup');
  await signInButton.click();
  const idp = await popupPromise;
  await expect(idp.getByRole('textbox', { name: 'Username' })).toBeVisible();
  if (shots) await shot(idp, '02-company-login');
  await idp.getByRole('textbox', { name: 'Username' }).fill(who);
  await idp.getByRole('button', { name: 'Sign in' }).click();
  await expect(idp.getByText(/You can close this tab/)).toBeVisible();
  await idp.close();
  const accept = page.getByRole('button', { name: 'Accept and continue' });
  await expect(accept).toBeVisible();
  await expect(page.getByText(/end-to-end encrypted/)).toBeVisible();
  if (shots) { await shot(page, '03-consent'); await noSeriousA11yViolations(page, 'consent'); }
  await accept.click();
  await expect(page.getByRole('searchbox', { name: 'Search directory' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Connection' })).toContainText(/online/i);
  return page;
}

test('alice and bob sign in, find each other, chat live, and compare safety numbers', async ({ browser }) => {
  const alice = await signIn(browser, 'alice', true);
  const bob = await signIn(browser, 'bob', false);
  await shot(alice, '04-empty');
  await noSeriousA11yViolations(alice, 'empty main screen');

  // New chat from the company directory.
  await alice.getByRole('searchbox', { name: 'Search directory' }).fill('bob');
  const result = alice.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: /Bob Baker/ });
  await expect(result).toBeVisible();
  await shot(alice, '05-directory-search');
  await result.click();

  await alice.getByRole('textbox', { name: 'Message' }).fill('Hi Bob, are we still on for the 3 pm review?');
  await alice.getByRole('button', { name: 'Send' }).click();
  const sentMessage = alice.getByRole('log', { name: 'Messages' }).getByText('Hi Bob, are we still on for the 3 pm review?');
  await expect(sentMessage).toBeVisible();

  // Bob sees the conversation appear live, with an unread count, and reads it.
  const bobList = bob.getByRole('list', { name: 'Conversations' });
  await expect(bobList.getByText('Alice Archer')).toBeVisible();
  await expect(bobList.getByRole('img', { name: '1 unread' })).toBeVisible();
  await shot(bob, '06-new-message-unread');
  await bobList.getByText('Alice Archer').click();
  await expect(bob.getByRole('log', { name: 'Messages' }).getByText('Hi Bob, are we still on for the 3 pm review?')).toBeVisible();

  // Alice's message is marked delivered once Bob's device stored it.
  await expect(alice.getByRole('log', { name: 'Messages' }).getByText('Delivered')).toBeVisible();

  // Keyboard: Enter sends.
  await bob.getByRole('textbox', { name: 'Message' }).fill('Yes, 3 pm in room Zürich. See you there!');
  await bob.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(alice.getByRole('log', { name: 'Messages' }).getByText('Yes, 3 pm in room Zürich. See you there!')).toBeVisible();
  await shot(alice, '07-chat');
  await noSeriousA11yViolations(alice, 'chat');
  await shot(bob, '08-chat-bob');

  // Safety numbers: the same digits on both sides; alice marks bob verified.
  await alice.getByRole('button', { name: 'Safety number' }).click();
  const aliceDialog = alice.getByRole('dialog', { name: /Safety number with Bob Baker/ });
  const aliceDigits = aliceDialog.getByRole('group', { name: 'Safety number digits' });
  await expect(aliceDigits).toContainText(/\d{5}/);
  await bob.getByRole('button', { name: 'Safety number' }).click();
  const bobDigits = bob.getByRole('dialog', { name: /Safety number with Alice Archer/ }).getByRole('group', { name: 'Safety number digits' });
  await expect(bobDigits).toContainText(/\d{5}/);
  const digits = async (loc: typeof aliceDigits) => (await loc.innerText()).replace(/\D/g, '');
  expect(await digits(aliceDigits)).toHaveLength(60);
  expect(await digits(aliceDigits)).toBe(await digits(bobDigits));
  await shot(alice, '09-safety-number');
  await noSeriousA11yViolations(alice, 'safety number dialog');
  await aliceDialog.getByRole('button', { name: 'Mark as verified' }).click();
  await expect(aliceDialog.getByText(/verified/i).first()).toBeVisible();
  await expect(aliceDialog.getByRole('button', { name: 'Mark as verified' })).toBeDisabled();
  await aliceDialog.getByRole('button', { name: 'Close' }).click();

  // Settings.
  await alice.getByRole('button', { name: 'Settings' }).click();
  await expect(alice.getByRole('dialog', { name: /Settings/ })).toBeVisible();
  await expect(alice.getByRole('dialog', { name: /Settings/ }).getByText('alice@acme.test')).toBeVisible();
  await shot(alice, '10-settings');
  await noSeriousA11yViolations(alice, 'settings');
});
