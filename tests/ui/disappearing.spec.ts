// Disappearing messages in the real UI (Debian's Chromium, browser shell, real server with a --policy-file that
// caps timers at one day): the chat setting offers Off, 30 seconds, 1 hour, 1 day — not 1 week; choosing one
// leaves a line in both chats and reaches Bob's setting; a message sent then carries a timer mark, and is
// taken out of both open chats when its 30 seconds run out (the app's exact expiry, no reload). Screenshot 70.
import { test, expect, type Page } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;
let dir: string;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-ui-retention-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({
    text: 'Acme Corp provides Parley for work conversations. Messages are end-to-end encrypted.',
    rules: { retention: { messagesDays: 90, maxDisappearingSeconds: 86_400 } },
  }));
  world = await startWorld(['alice', 'bob'], { policyFile });
});
test.afterAll(async () => {
  await world?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
/** The message field (a textbox, or a combobox while it offers quick replies). */
const composer = (page: Page) => page.getByLabel('Message', { exact: true });
const setting = (page: Page) => page.getByRole('combobox', { name: 'Disappearing messages' });

test('the disappearing-messages setting, its line in both chats, the timer mark, and expiry in the open chat', async ({ browser }) => {
  test.setTimeout(180_000);
  const alice = await signIn(browser, world.ui.alice!, 'alice');
  const bob = await signIn(browser, world.ui.bob!, 'bob');

  await alice.getByRole('searchbox', { name: 'Search directory' }).fill('bob');
  await alice.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: /Bob Baker/ }).click();
  await composer(alice).fill('Morning! Sending the door codes in a minute.');
  await composer(alice).press('Enter');
  await expect(log(alice).getByText('Morning! Sending the door codes in a minute.')).toBeVisible();

  // The org caps timers at one day: 1 week is not offered.
  await expect(setting(alice)).toHaveValue('off');
  await expect(setting(alice).getByRole('option')).toHaveText(['Off', '30 seconds', '1 hour', '1 day']);
  await setting(alice).selectOption({ label: '30 seconds' });
  await expect(log(alice).getByText('You set disappearing messages to 30 seconds')).toBeVisible();

  const bobList = bob.getByRole('list', { name: 'Conversations' });
  await bobList.getByRole('button', { name: /^Alice Archer/ }).first().click();
  await expect(log(bob).getByText('Alice Archer set disappearing messages to 30 seconds')).toBeVisible();
  await expect(setting(bob)).toHaveValue('30');

  const secret = 'Door code for the lab: 4-7-1-9';
  await composer(alice).fill(secret);
  await composer(alice).press('Enter');
  await expect(log(bob).getByText(secret)).toBeVisible();
  for (const page of [alice, bob]) {
    await expect(log(page).locator('li', { hasText: secret }).getByRole('img', { name: /^Disappearing message, gone / })).toBeVisible();
  }
  await setting(alice).focus();
  await shot(alice, '70-disappearing-setting');
  await noSeriousA11yViolations(alice, 'chat with the disappearing-messages setting');

  // Exact expiry: both open chats lose the message when its 30 seconds are up; the earlier one stays.
  for (const page of [alice, bob]) await expect(log(page).getByText(secret)).toHaveCount(0, { timeout: 60_000 });
  await expect(log(bob).getByText('Morning! Sending the door codes in a minute.')).toBeVisible();

  // Off again: Bob's setting follows.
  await setting(alice).selectOption({ label: 'Off' });
  await expect(log(alice).getByText('You turned off disappearing messages')).toBeVisible();
  await expect(setting(bob)).toHaveValue('off');
});
