// Message search in the real UI (browser shell, Debian's Chromium, real server and dev IdP): the searchbox
// "Search messages" lists hits with conversation, sender, date and the matched words marked; choosing one
// opens the chat at that message (scrolled to and focused); FTS5 syntax in the input is just words; axe clean.
import { test, expect } from '@playwright/test';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;

test.beforeAll(async () => { world = await startWorld(['alice', 'bob']); });
test.afterAll(async () => { await world?.stop(); });

test('search messages: results with the matched words, open at the message, literal input', async ({ browser }) => {
  const alice = await signIn(browser, world.ui.alice!, 'alice');
  const bob = await signIn(browser, world.ui.bob!, 'bob');
  await alice.getByRole('searchbox', { name: 'Search directory' }).fill('bob');
  await alice.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: /Bob Baker/ }).click();
  const composer = alice.getByLabel('Message', { exact: true });
  const log = alice.getByRole('log', { name: 'Messages' });
  await composer.fill('The quarterly budget for Zürich is in the shared drive');
  await composer.press('Enter');
  await expect(log.getByText('The quarterly budget for Zürich')).toBeVisible();
  // Enough later messages that the hit is scrolled out of view when the chat opens at the bottom.
  for (let i = 1; i <= 30; i++) {
    await composer.fill(`status update ${i}: nothing to report`);
    await composer.press('Enter');
  }
  await expect(log.getByText('status update 30: nothing to report')).toBeVisible();

  const bobList = bob.getByRole('list', { name: 'Conversations' });
  await expect(bobList.getByText('Alice Archer')).toBeVisible();
  await expect(bobList.getByText(/status update 30/)).toBeVisible();

  const box = bob.getByRole('searchbox', { name: 'Search messages' });
  await box.fill('zurich BUDG');
  const results = bob.getByRole('list', { name: 'Message search results' });
  const hit = results.getByRole('button', { name: /quarterly budget/ });
  await expect(hit).toBeVisible();
  await expect(hit).toContainText('Alice Archer');
  await expect(hit.locator('time')).toHaveAttribute('datetime', /^\d{4}-\d\d-\d\dT/);
  await expect(hit.locator('mark')).toHaveText(['budget', 'Zürich']);
  await expect(bobList, 'the results take the conversation list\'s place').toHaveCount(0);
  await shot(bob, '60-search-results');
  await noSeriousA11yViolations(bob, 'message search results');

  await hit.click();
  const bubble = bob.getByRole('log', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'The quarterly budget for Zürich' });
  await expect(bubble).toBeFocused();
  await expect(bubble).toBeInViewport();
  await expect(bubble).toHaveClass(/highlighted/);
  await shot(bob, '61-search-opened-at-message');

  // FTS5 operators and quotes are only words: a sentence, never an error.
  for (const q of ['"foo OR', 'NEAR(', 'budget AND (', '*']) {
    await box.fill(q);
    await expect(bob.getByRole('status').filter({ hasText: `No messages on this device match “${q}”` })).toBeVisible();
    await expect(results).toHaveCount(0);
    await expect(bob.getByRole('alert')).toHaveCount(0);
  }
  await box.fill('"budget');
  await expect(results.getByRole('button', { name: /quarterly budget/ })).toBeVisible();

  // Escape clears the search and brings the conversation list back.
  await box.press('Escape');
  await expect(box).toHaveValue('');
  await expect(bobList.getByText('Alice Archer')).toBeVisible();
});
