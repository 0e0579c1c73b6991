// "Try it" in the order written: alice finds bob before bob ever signed in, writes to him, sees the message wait
// for his first device, and it arrives once he signs in. Real server, dev IdP, browser shells, Chromium.
import { test, expect } from '@playwright/test';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;
test.beforeAll(async () => { world = await startWorld(['alice', 'bob']); });
test.afterAll(async () => { await world?.stop(); });

test('a demo user is in the directory before signing in; the message waits for their first device, then arrives', async ({ browser }) => {
  const alice = await signIn(browser, world.ui.alice!, 'alice');
  const search = alice.getByRole('searchbox', { name: 'Search directory' });

  // Nobody matches: the note says who is in the directory.
  await search.fill('zebra');
  await expect(alice.getByText(/No one in the directory matches “zebra”\. The directory lists everyone your company has added/)).toBeVisible();

  await search.fill('bob');
  const result = alice.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: /Bob Baker/ });
  await expect(result).toContainText('Not signed in yet: your message waits for their first device.');
  await noSeriousA11yViolations(alice, 'directory search, person without a device');
  await result.click();

  await alice.getByRole('textbox', { name: 'Message' }).fill('Welcome aboard, Bob!');
  await alice.getByRole('button', { name: 'Send' }).click();
  const log = alice.getByRole('log', { name: 'Messages' });
  await expect(log.getByText('Welcome aboard, Bob!')).toBeVisible();
  const waiting = log.getByRole('note').filter({ hasText: "Waiting for Bob Baker's first device: it is sent when they sign in." });
  await expect(waiting).toBeVisible();
  await shot(alice, '30-waiting-first-device');
  await noSeriousA11yViolations(alice, 'message waiting for a first device');

  // Bob signs in for the first time: alice's app sends the waiting message, bob reads it, alice sees it delivered.
  const bob = await signIn(browser, world.ui.bob!, 'bob');
  const bobList = bob.getByRole('list', { name: 'Conversations' });
  await expect(bobList.getByText('Alice Archer')).toBeVisible({ timeout: 30_000 });
  await bobList.getByText('Alice Archer').click();
  await expect(bob.getByRole('log', { name: 'Messages' }).getByText('Welcome aboard, Bob!')).toBeVisible();
  await expect(log.getByText(/Delivered|Read/)).toBeVisible(); // bob has the chat open: read
  await expect(waiting).toHaveCount(0);
});
