// Messages people use at work, through the real UI in Debian's Chromium (real server, dev IdP, one
// parley-app per person): replies whose quote jumps to the original, reactions (one per person,
// changeable), edits ("edited"), delete for everyone ("This message was deleted" remains) and for me,
// "Read" after "Delivered", typing indicators, the actions menu by keyboard, a group chat, the read-receipt
// switch, a newer client's message kind, and a message sent while its chat is still loading. Screenshots of each state (docs/screenshots/ with
// PARLEY_SCREENSHOTS=1) and an axe check of each.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';
import * as C from '../../common/wire/content.ts';
import { loginNewDevice, type Messenger } from '../../electron/core/messenger.ts';
import type { Sender } from '../../electron/core/outgoing/sender.ts';
import { encodePayload } from '../../electron/core/payload.ts';

let world: World;
test.beforeAll(async () => { world = await startWorld(['alice', 'bob', 'carol']); });
test.afterAll(async () => { await world?.stop(); });

const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
/** The message whose own text is exactly `text` (not a reply quoting it). */
const message = (page: Page, text: string) => log(page).locator('li.message', { has: page.locator('p.text', { hasText: text }) });

/** Each person signs in once (in the first test that needs them); later tests open their app signed in. */
const signedIn = new Set<string>();
async function open(browser: Browser, who: 'alice' | 'bob' | 'carol'): Promise<Page> {
  if (!signedIn.has(who)) {
    signedIn.add(who);
    return signIn(browser, world.ui[who]!, who);
  }
  const page = await (await browser.newContext()).newPage();
  await page.goto(world.ui[who]!);
  await expect(page.getByRole('searchbox', { name: 'Search directory' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Connection' })).toContainText(/online/i);
  return page;
}

const chatButton = (page: Page, name: string) => page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: new RegExp(`^${name}`) });

async function openChat(page: Page, name: string): Promise<void> {
  const inList = chatButton(page, name);
  if (await inList.count() === 0) {
    await page.getByRole('searchbox', { name: 'Search directory' }).fill(name.split(' ')[0]!.toLowerCase());
    await page.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: new RegExp(name) }).click();
  } else {
    await inList.click();
  }
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('textbox', { name: 'Message' }).press('Enter');
  // A refused send says why in the composer: that sentence, not a bare timeout, is what a failure shows.
  const refused = page.locator('p.send-error');
  await expect(message(page, text).or(refused).first()).toBeVisible();
  await expect(refused, 'the composer reported a failed send').toHaveCount(0);
  await expect(message(page, text)).toBeVisible();
}

async function act(page: Page, text: string, item: 'Reply' | 'React' | 'Edit' | 'Delete for me' | 'Delete for everyone' | 'Copy text'): Promise<void> {
  await message(page, text).getByRole('button', { name: 'Message actions' }).click();
  await page.getByRole('menu', { name: 'Message actions' }).getByRole('menuitem', { name: item, exact: true }).click();
}

test('1:1: read after delivered, typing, a reply that jumps to its original, reactions, edit and both deletes', async ({ browser }) => {
  const alice = await open(browser, 'alice');
  const bob = await open(browser, 'bob');
  await openChat(alice, 'Bob Baker');
  await send(alice, 'Can you review the Q3 budget before Friday?');
  const first = message(alice, 'Can you review the Q3 budget before Friday?');
  await expect(first).toContainText(/Delivered|Sent/);

  // Bob opens the chat: the message is shown to him, so alice's copy says "Read".
  await openChat(bob, 'Alice Archer');
  await expect(message(bob, 'Can you review the Q3 budget before Friday?')).toBeVisible();
  await expect(first).toContainText('Read');
  await shot(alice, '50-read');

  // Typing: announced politely, gone when the message arrives.
  const typingLine = alice.locator('.typing-indicator[aria-live="polite"]');
  await bob.getByRole('textbox', { name: 'Message' }).pressSequentially('Sure, I will', { delay: 20 });
  await expect(typingLine).toHaveText('Bob Baker is typing…');
  await shot(alice, '51-typing');
  await bob.getByRole('textbox', { name: 'Message' }).fill('');
  await send(bob, 'Sure — sending comments by Thursday.');
  await expect(message(alice, 'Sure — sending comments by Thursday.')).toBeVisible();
  await expect(typingLine).toHaveText('');

  // Reply: the quote sits above the reply and jumps to the original.
  await act(alice, 'Sure — sending comments by Thursday.', 'Reply');
  await expect(alice.getByText('Cancel reply')).toBeVisible();
  await send(alice, 'Perfect, thank you!');
  const quote = message(bob, 'Perfect, thank you!').getByRole('button', { name: /^Reply to You: Sure — sending comments by Thursday\./ });
  await expect(quote).toBeVisible();
  await shot(bob, '52-reply');
  await noSeriousA11yViolations(bob, 'a reply with its quote');
  await quote.click();
  await expect(message(bob, 'Sure — sending comments by Thursday.')).toBeFocused();

  // Reactions: one per person; choosing another emoji replaces it.
  await act(bob, 'Can you review the Q3 budget before Friday?', 'React');
  const picker = bob.getByRole('dialog', { name: 'Choose a reaction' });
  await picker.getByRole('button', { name: 'React with thumbs up' }).click();
  const aliceFirst = message(alice, 'Can you review the Q3 budget before Friday?');
  await expect(aliceFirst.getByRole('button', { name: /^👍 1: Bob Baker/ })).toBeVisible();
  await act(bob, 'Can you review the Q3 budget before Friday?', 'React');
  await expect(picker.getByRole('button', { name: 'React with thumbs up' })).toHaveAttribute('aria-pressed', 'true');
  await shot(bob, '53-reaction-picker');
  await noSeriousA11yViolations(bob, 'reaction picker');
  await picker.getByRole('button', { name: 'React with party' }).click();
  await expect(aliceFirst.getByRole('button', { name: /^🎉 1: Bob Baker/ })).toBeVisible();
  await expect(aliceFirst.getByRole('button', { name: /^👍/ })).toHaveCount(0);
  // Alice adds her own; choosing it again (the chip) withdraws it.
  await aliceFirst.getByRole('button', { name: /^🎉 1/ }).click();
  await expect(aliceFirst.getByRole('button', { name: /^🎉 2: You, Bob Baker/ })).toHaveAttribute('aria-pressed', 'true');
  await expect(message(bob, 'Can you review the Q3 budget before Friday?').getByRole('button', { name: /^🎉 2/ })).toBeVisible();
  await shot(alice, '54-reactions');
  await aliceFirst.getByRole('button', { name: /^🎉 2/ }).click();
  await expect(message(bob, 'Can you review the Q3 budget before Friday?').getByRole('button', { name: /^🎉 1: You\./ })).toBeVisible();

  // Edit: "edited" on both sides.
  await act(alice, 'Perfect, thank you!', 'Edit');
  const box = alice.getByRole('textbox', { name: 'Message' });
  await expect(box).toHaveValue('Perfect, thank you!');
  await box.fill('Perfect, thank you — Thursday works.');
  await box.press('Enter');
  const edited = message(bob, 'Perfect, thank you — Thursday works.');
  await expect(edited).toContainText('edited');
  await expect(message(alice, 'Perfect, thank you — Thursday works.')).toContainText('edited');

  // Delete for everyone: the placeholder remains on both sides.
  await send(alice, 'Oops, wrong chat');
  await expect(message(bob, 'Oops, wrong chat')).toBeVisible();
  await act(alice, 'Oops, wrong chat', 'Delete for everyone');
  await alice.getByRole('dialog', { name: 'Delete for everyone?' }).getByRole('button', { name: 'Delete for everyone' }).click();
  await expect(log(bob).getByText('This message was deleted')).toBeVisible();
  await expect(log(alice).getByText('This message was deleted')).toBeVisible();
  await expect(message(bob, 'Oops, wrong chat')).toHaveCount(0);
  await shot(bob, '55-edited-and-deleted');
  await noSeriousA11yViolations(bob, 'edited and deleted messages');

  // Delete for me: gone here only.
  await act(bob, 'Perfect, thank you — Thursday works.', 'Delete for me');
  await bob.getByRole('dialog', { name: 'Delete for you?' }).getByRole('button', { name: 'Delete for me' }).click();
  await expect(message(bob, 'Perfect, thank you — Thursday works.')).toHaveCount(0);
  await bob.reload();
  await openChat(bob, 'Alice Archer');
  await expect(message(bob, 'Sure — sending comments by Thursday.')).toBeVisible();
  await expect(message(bob, 'Perfect, thank you — Thursday works.')).toHaveCount(0);
  await expect(message(alice, 'Perfect, thank you — Thursday works.')).toBeVisible();
  await alice.context().close();
  await bob.context().close();
});

test('the actions menu works by keyboard: arrows, Home/End, Escape back to its button', async ({ browser }) => {
  const alice = await open(browser, 'alice');
  await openChat(alice, 'Bob Baker');
  const mine = message(alice, 'Can you review the Q3 budget before Friday?');
  const button = mine.getByRole('button', { name: 'Message actions' });
  await button.focus();
  await alice.keyboard.press('Enter');
  const menu = alice.getByRole('menu', { name: 'Message actions' });
  await expect(menu.getByRole('menuitem', { name: 'Reply' })).toBeFocused();
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  await alice.keyboard.press('ArrowDown');
  await expect(menu.getByRole('menuitem', { name: 'React' })).toBeFocused();
  await alice.keyboard.press('End');
  await expect(menu.getByRole('menuitem', { name: 'Copy text' })).toBeFocused();
  await alice.keyboard.press('ArrowDown');
  await expect(menu.getByRole('menuitem', { name: 'Reply' })).toBeFocused();
  await alice.keyboard.press('ArrowUp');
  await expect(menu.getByRole('menuitem', { name: 'Copy text' })).toBeFocused();
  // An own message older than a minute is still editable; "Delete for everyone" is there for own messages.
  await expect(menu.getByRole('menuitem')).toHaveText(['Reply', 'React', 'Edit', 'Delete for me', 'Delete for everyone', 'Copy text']);
  await shot(alice, '56-message-actions');
  await noSeriousA11yViolations(alice, 'message actions menu');
  await alice.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(button).toBeFocused();
  // Someone else's message: no Edit, no Delete for everyone.
  await message(alice, 'Sure — sending comments by Thursday.').getByRole('button', { name: 'Message actions' }).click();
  await expect(menu.getByRole('menuitem')).toHaveText(['Reply', 'React', 'Delete for me', 'Copy text']);
  await alice.keyboard.press('Escape');
  // The picker by keyboard too: React, arrows, Enter.
  await button.focus();
  await alice.keyboard.press('Enter');
  await alice.keyboard.press('ArrowDown');
  await alice.keyboard.press('Enter');
  const picker = alice.getByRole('dialog', { name: 'Choose a reaction' });
  await expect(picker.getByRole('button', { name: 'React with thumbs up' })).toBeFocused();
  await alice.keyboard.press('ArrowRight');
  await expect(picker.getByRole('button', { name: 'React with heart' })).toBeFocused();
  await alice.keyboard.press('Escape');
  await expect(picker).toHaveCount(0);
  await expect(button).toBeFocused();
  await alice.context().close();
});

test('a group chat: replies and reactions from two people', async ({ browser }) => {
  const alice = await open(browser, 'alice');
  const carol = await open(browser, 'carol');
  await alice.getByRole('button', { name: 'New group' }).click();
  const create = alice.getByRole('dialog', { name: 'New group' });
  await create.getByRole('textbox', { name: 'Group name' }).fill('Budget review');
  const people = create.getByRole('searchbox', { name: 'Add people' });
  await people.fill('bob');
  await create.getByRole('button', { name: 'Add Bob Baker' }).click();
  await people.fill('carol');
  await create.getByRole('button', { name: 'Add Carol Chen' }).click();
  await create.getByRole('button', { name: 'Create group' }).click();
  await expect(alice.getByRole('heading', { name: 'Budget review', level: 1 })).toBeVisible();
  await send(alice, 'Draft numbers are in the folder.');

  const inList = chatButton(carol, 'Budget review');
  await expect(inList).toBeVisible({ timeout: 30_000 });
  await inList.click();
  await expect(message(carol, 'Draft numbers are in the folder.')).toBeVisible({ timeout: 30_000 });
  await act(carol, 'Draft numbers are in the folder.', 'Reply');
  await send(carol, 'Row 14 looks off to me.');
  await expect(message(alice, 'Row 14 looks off to me.').getByRole('button', { name: /^Reply to You: Draft numbers are in the folder\./ })).toBeVisible();
  await act(carol, 'Draft numbers are in the folder.', 'React');
  await carol.getByRole('dialog', { name: 'Choose a reaction' }).getByRole('button', { name: 'React with looking' }).click();
  await act(alice, 'Row 14 looks off to me.', 'React');
  await alice.getByRole('dialog', { name: 'Choose a reaction' }).getByRole('button', { name: 'React with done' }).click();
  await expect(message(carol, 'Row 14 looks off to me.').getByRole('button', { name: /^✅ 1: Alice Archer/ })).toBeVisible();
  await expect(message(alice, 'Draft numbers are in the folder.').getByRole('button', { name: /^👀 1: Carol Chen/ })).toBeVisible();
  await shot(alice, '57-group-reply-reactions');
  await noSeriousA11yViolations(alice, 'group chat with a reply and reactions');
  await alice.context().close();
  await carol.context().close();
});

test('Settings: read receipts off — the sender sees "Delivered", never "Read"', async ({ browser }) => {
  const alice = await open(browser, 'alice');
  const bob = await open(browser, 'bob');
  await bob.getByRole('button', { name: 'Settings' }).click();
  const settings = bob.getByRole('dialog', { name: 'Settings' });
  const receipts = settings.getByRole('checkbox', { name: 'Read receipts' });
  await expect(receipts).toBeChecked();
  await expect(receipts).toBeEnabled();
  await receipts.focus(); // the switch by keyboard (Space), as a screen-reader user would
  await bob.keyboard.press('Space');
  await expect(receipts).not.toBeChecked();
  await expect(receipts).toBeEnabled(); // saved (disabled while saving)
  await shot(bob, '58-settings-read-receipts');
  await noSeriousA11yViolations(bob, 'settings with read receipts');
  await settings.getByRole('button', { name: /Close/ }).click();

  await openChat(alice, 'Bob Baker');
  await send(alice, 'No rush on this one.');
  await openChat(bob, 'Alice Archer');
  await expect(message(bob, 'No rush on this one.')).toBeVisible();
  // Bob's reply comes after the moment a receipt would have been sent: by then alice would see "Read".
  await send(bob, 'Noted.');
  await expect(message(alice, 'Noted.')).toBeVisible();
  await expect(message(alice, 'No rush on this one.')).toContainText('Delivered');
  await expect(message(alice, 'No rush on this one.')).not.toContainText('Read');

  // On again: the settings say so after a reload.
  await bob.getByRole('button', { name: 'Settings' }).click();
  await expect(settings.getByRole('checkbox', { name: 'Read receipts' })).toBeEnabled(); // the settings have loaded
  await settings.getByRole('checkbox', { name: 'Read receipts' }).focus();
  await bob.keyboard.press('Space');
  await expect(settings.getByRole('checkbox', { name: 'Read receipts' })).toBeChecked();
  await expect(settings.getByRole('checkbox', { name: 'Read receipts' })).toBeEnabled(); // saved (disabled while saving)
  await bob.reload();
  await bob.getByRole('button', { name: 'Settings' }).click();
  await expect(bob.getByRole('dialog', { name: 'Settings' }).getByRole('checkbox', { name: 'Read receipts' })).toBeChecked();
  await alice.context().close();
  await bob.context().close();
});

test('a message kind from a newer Parley shows as a placeholder, not lost', async ({ browser }) => {
  // Dave's "newer client": his real device, sending a record kind this version does not know.
  const dir = mkdtempSync(join(tmpdir(), 'parley-newer-'));
  let dave: Messenger | undefined;
  try {
    dave = await loginNewDevice(dir, world.serverUrl, { kind: 'dev-user', username: 'dave' });
    const policy = await dave.fetchPolicy();
    await dave.acceptPolicy(policy.version);
    const bob = await open(browser, 'bob');
    const { contact } = await dave.resolveContact('bob@acme.test');
    const record = { v: 3, kind: 'poll', messageId: `poll${Date.now()}abcdefghijkl`, sentAt: Date.now(), question: 'Lunch at 12 or 1?' };
    const sender = (dave as unknown as { sender: Sender }).sender;
    await sender.deliver(contact.userId, contact.email, encodePayload(record as unknown as C.Content), encodePayload(record as unknown as C.Content), { key: record.messageId });
    const inList = chatButton(bob, 'Dave Diaz');
    await expect(inList).toBeVisible({ timeout: 30_000 });
    await inList.click();
    await expect(log(bob).getByText(C.NEEDS_NEWER_VERSION)).toBeVisible();
    await expect(log(bob).getByText('Lunch at 12 or 1?')).toHaveCount(0);
    await shot(bob, '59-newer-version');
    await noSeriousA11yViolations(bob, 'a message from a newer version');
    await bob.context().close();
  } finally {
    dave?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a message written while its chat is still loading stays on screen until it is sent', async ({ browser }) => {
  const alice = await open(browser, 'alice');
  // The browser shell's bridge (POST /api/call) holds the chat's first page and the send: the page answers first,
  // without the message, as when a group send is still asking the server about its group.
  const gate = () => {
    let open!: () => void;
    let reach!: () => void;
    const opened = new Promise<void>((r) => { open = r; });
    const reached = new Promise<void>((r) => { reach = r; });
    return { open, opened, reach, reached };
  };
  const list = gate();
  const sending = gate();
  await alice.route('**/api/call', async (route) => {
    const method = (route.request().postDataJSON() as { method?: string } | null)?.method;
    const g = method === 'messages.list' ? list : method === 'messages.send' ? sending : undefined;
    if (!g) return route.continue();
    g.reach();
    await g.opened;
    return route.continue();
  });
  await chatButton(alice, 'Bob Baker').click();
  await list.reached;
  const text = 'Typed before the chat had loaded.';
  await alice.getByRole('textbox', { name: 'Message' }).fill(text);
  await alice.getByRole('textbox', { name: 'Message' }).press('Enter');
  await sending.reached;
  await expect(message(alice, text)).toBeVisible();
  list.open();
  await expect(message(alice, 'Can you review the Q3 budget before Friday?')).toBeVisible(); // the page is in
  await expect(message(alice, text), 'the message stays while its send is under way').toBeVisible();
  sending.open();
  await expect(message(alice, text)).toContainText(/Sent|Delivered|Read/);
  await expect(message(alice, text)).toHaveCount(1);
  await alice.context().close();
});
