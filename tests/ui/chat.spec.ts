// Two people chat through the real UI in Debian's Chromium: sign-in through the real dev IdP in a new tab,
// consent, directory search, live messages with delivery state, safety numbers — with a screenshot of every
// screen (docs/screenshots/ with PARLEY_SCREENSHOTS=1) and an axe check of each.
import { test, expect } from '@playwright/test';
import { CSP } from '../../electron/app/static/static-files.ts';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;

test.beforeAll(async () => { world = await startWorld(['alice', 'bob']); });
test.afterAll(async () => { await world?.stop(); });

const SHOT_NAMES = { 'sign-in': '01-sign-in', 'company-login': '02-company-login', consent: '03-consent' } as const;

test('the browser shell sends the one CSP, and the UI runs under it without a violation', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  const res = await page.goto(world.ui.alice!);
  expect(res?.headers()['content-security-policy']).toBe(CSP);
  await expect(page.getByRole('button', { name: 'Sign in with your organization' })).toBeVisible();
  expect(violations).toEqual([]);
  await context.close();
});

test('alice and bob sign in, find each other, chat live, and compare safety numbers', async ({ browser }) => {
  const alice = await signIn(browser, world.ui.alice!, 'alice', async (screen, page) => {
    await shot(page, SHOT_NAMES[screen]);
    if (screen !== 'company-login') await noSeriousA11yViolations(page, screen);
  });
  const bob = await signIn(browser, world.ui.bob!, 'bob');
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

  // Alice's message is marked delivered once Bob's device stored it (and read, as Bob has the chat open).
  await expect(alice.getByRole('log', { name: 'Messages' }).getByText(/Delivered|Read/)).toBeVisible();

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
