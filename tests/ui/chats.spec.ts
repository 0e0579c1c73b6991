// Chat organisation in the real UI (browser shell, Debian's Chromium, real server and dev IdP): pin, mute
// and archive from a chat's options menu (an "Archived" section; a muted archived chat stays there when a
// message arrives, an unmuted one comes back), and drafts kept per chat by the core — still there after
// the page is loaded anew (the composer's memory is gone then); axe clean.
import { test, expect, type Page } from '@playwright/test';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;

test.beforeAll(async () => { world = await startWorld(['alice', 'bob', 'carol']); });
test.afterAll(async () => { await world?.stop(); });

async function say(page: Page, to: string, text: string) {
  const list = page.getByRole('list', { name: 'Conversations' });
  if (await list.getByText(to).count() === 0) {
    await page.getByRole('searchbox', { name: 'Search directory' }).fill(to.split(' ')[0]!.toLowerCase());
    await page.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: new RegExp(to) }).click();
  } else {
    await list.getByText(to).click();
  }
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
  await expect(page.getByRole('log', { name: 'Messages' }).getByText(text)).toBeVisible();
}

async function chatMenu(page: Page, title: string, item: string) {
  await page.getByRole('button', { name: `Chat options for ${title}` }).click();
  await page.getByRole('menu', { name: `Chat options for ${title}` }).getByRole('menuitem', { name: item }).click();
}

test('pin, mute, archive from the chat menu; archived chats come back on a message unless muted', async ({ browser }) => {
  const alice = await signIn(browser, world.ui.alice!, 'alice');
  const carol = await signIn(browser, world.ui.carol!, 'carol');
  const bob = await signIn(browser, world.ui.bob!, 'bob');
  await say(alice, 'Bob Baker', 'Morning! Stand-up moved to 10:30.');
  await say(carol, 'Bob Baker', 'Lunch at noon?');
  const main = bob.getByRole('list', { name: 'Conversations' });
  await expect(main.getByRole('button', { name: /^Carol/ })).toBeVisible();
  await expect(main.getByRole('button', { name: /^Alice Archer/ })).toBeVisible();

  // Pin alice: listed first although carol wrote last.
  await chatMenu(bob, 'Alice Archer', 'Pin chat');
  await expect(main.getByRole('listitem').first()).toContainText('Alice Archer');
  await expect(main.getByRole('img', { name: 'Pinned' })).toHaveCount(1);

  // The menu, open, for the screenshot and axe.
  await bob.getByRole('button', { name: 'Chat options for Alice Archer' }).click();
  const menu = bob.getByRole('menu', { name: 'Chat options for Alice Archer' });
  await expect(menu.getByRole('menuitem')).toHaveText(['Unpin chat', 'Mute for 8 hours', 'Mute until I unmute', 'Archive chat']);
  await shot(bob, '62-chat-menu');
  await noSeriousA11yViolations(bob, 'chat options menu');
  await menu.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(bob.getByRole('button', { name: 'Chat options for Alice Archer' })).toBeFocused();

  await chatMenu(bob, 'Alice Archer', 'Mute for 8 hours');
  await expect(main.getByRole('listitem').filter({ hasText: 'Alice Archer' }).getByRole('img', { name: 'Muted' })).toBeVisible();

  // Archive: out of the main list into "Archived"; archiving unpins.
  await chatMenu(bob, 'Alice Archer', 'Archive chat');
  await expect(main.getByText('Alice Archer')).toHaveCount(0);
  const toggle = bob.getByRole('button', { name: 'Archived (1)' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  const archived = bob.getByRole('list', { name: 'Archived' });
  await expect(archived.getByText('Alice Archer')).toBeVisible();
  await shot(bob, '63-archived');
  await noSeriousA11yViolations(bob, 'archived section');

  // Muted and archived: a new message from alice leaves it there. Carol's message after it shows it was handled.
  await say(alice, 'Bob Baker', 'FYI: slides are up.');
  await say(carol, 'Bob Baker', 'Or 12:30?');
  await expect(main.getByRole('listitem').filter({ hasText: 'Carol' })).toContainText('Or 12:30?');
  await expect(archived.getByText('Alice Archer')).toBeVisible();

  // Unmuted, the next message brings it back to the main list.
  await chatMenu(bob, 'Alice Archer', 'Unmute');
  await say(alice, 'Bob Baker', 'Ping about the slides');
  await expect(main.getByRole('listitem').filter({ hasText: 'Alice Archer' })).toContainText('Ping about the slides');
  await expect(bob.getByRole('button', { name: /^Archived/ })).toHaveCount(0);
});

test('drafts are kept per chat by the core: shown in the list, and back after the page loads anew', async ({ browser }) => {
  // bob signed in during the first test: a page of his running app.
  const bob = await (await browser.newContext()).newPage();
  await bob.goto(world.ui.bob!);
  const main = bob.getByRole('list', { name: 'Conversations' });
  await main.getByRole('button', { name: /^Alice Archer/ }).click();
  const composer = bob.getByLabel('Message', { exact: true });
  await composer.fill('Half-written: the numbers for Q3 look');
  await main.getByRole('button', { name: /^Carol/ }).click();
  await expect(composer).toHaveValue('');
  const aliceRow = main.getByRole('listitem').filter({ hasText: 'Alice Archer' });
  await expect(aliceRow).toContainText('Draft: Half-written: the numbers for Q3 look');
  await shot(bob, '64-draft-in-list');

  // A new page: the composer starts empty in memory; the draft comes from the store.
  const page = await bob.context().newPage();
  await page.goto(world.ui.bob!);
  const list = page.getByRole('list', { name: 'Conversations' });
  await expect(list.getByRole('listitem').filter({ hasText: 'Alice Archer' })).toContainText('Draft: Half-written');
  await list.getByRole('button', { name: /^Alice Archer/ }).click();
  await expect(page.getByLabel('Message', { exact: true })).toHaveValue('Half-written: the numbers for Q3 look');

  // Sending clears it.
  await page.getByLabel('Message', { exact: true }).press('Enter');
  await list.getByRole('button', { name: /^Carol/ }).click();
  await expect(list.getByRole('listitem').filter({ hasText: 'Alice Archer' })).not.toContainText('Draft:');
});
