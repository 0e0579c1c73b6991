// Admin-governed groups through the real UI in Debian's Chromium: alice creates a group with bob and dave from
// directory search, bob reads her message with her name and the system message that he was added, a plain
// member has no manage controls, alice makes bob an admin, bob removes dave (dave's app says he is out and
// cannot send), the announcement setting closes bob's composer once he is a member again, and carol (org admin)
// sees the Directory and Groups pages of the admin console and manages the group without being in it.
// Screenshots 15–22 in docs/screenshots/, axe on each new screen and dialog.
import { test, expect, type Page } from '@playwright/test';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;

test.beforeAll(async () => { world = await startWorld(['alice', 'bob', 'dave', 'carol']); });
test.afterAll(async () => { await world?.stop(); });

/** Group events reach other people's apps through the server's group-changed signal or, failing that, the 10 s sync. */
const SYNC = { timeout: 25_000 };

const log = (page: Page) => page.getByRole('log', { name: 'Messages' });

async function openGroupInfo(page: Page) {
  await page.getByRole('button', { name: 'Group info' }).click();
  const dialog = page.getByRole('dialog', { name: /Group info: Launch crew/ });
  await expect(dialog.getByRole('list', { name: 'Members' })).toBeVisible();
  return dialog;
}

test('alice runs a group with bob and dave; bob, promoted, removes dave; announcement; carol manages it from the admin console', async ({ browser }) => {
  test.setTimeout(300_000);
  const alice = await signIn(browser, world.ui.alice!, 'alice');
  const bob = await signIn(browser, world.ui.bob!, 'bob');
  const dave = await signIn(browser, world.ui.dave!, 'dave');
  const carol = await signIn(browser, world.ui.carol!, 'carol');

  // New group: a name, members from the directory, the two settings.
  await alice.getByRole('button', { name: 'New group' }).click();
  const create = alice.getByRole('dialog', { name: 'New group' });
  await expect(create.getByRole('textbox', { name: 'Group name' })).toBeFocused();
  await create.getByRole('button', { name: 'Create group' }).click();
  await expect(create.getByText('Enter a name for the group.')).toBeVisible();
  await create.getByRole('textbox', { name: 'Group name' }).fill('Launch crew');
  const people = create.getByRole('searchbox', { name: 'Add people' });
  await people.fill('bob');
  await create.getByRole('button', { name: 'Add Bob Baker' }).click();
  await people.fill('dave');
  await create.getByRole('button', { name: 'Add Dave Diaz' }).click();
  const chosen = create.getByRole('list', { name: /Members \(3\)/ });
  await expect(chosen).toContainText('Bob Baker');
  await expect(chosen).toContainText('Dave Diaz');
  await expect(create.getByRole('checkbox', { name: 'Only admins can post (announcement)' })).not.toBeChecked();
  await expect(create.getByRole('checkbox', { name: 'Confidential members' })).not.toBeChecked();
  await shot(alice, '15-new-group');
  await noSeriousA11yViolations(alice, 'new group dialog');
  await create.getByRole('button', { name: 'Create group' }).click();
  await expect(create).toHaveCount(0);
  await expect(alice.getByRole('heading', { name: 'Launch crew', level: 1 })).toBeVisible();
  await expect(alice.getByText('Group · 3 members')).toBeVisible();
  await expect(log(alice).getByText('You created the group.')).toBeVisible();

  await alice.getByRole('textbox', { name: 'Message' }).fill('Welcome to the launch crew! Stand-up is at 9:30.');
  await alice.getByRole('button', { name: 'Send' }).click();
  await expect(log(alice).getByText('Welcome to the launch crew! Stand-up is at 9:30.')).toBeVisible();

  // bob: the group appears, the message carries alice's name, the log says he was added.
  const bobGroup = bob.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /Launch crew/ });
  await expect(bobGroup).toBeVisible();
  await bobGroup.click();
  const welcome = log(bob).getByRole('listitem').filter({ hasText: 'Welcome to the launch crew!' });
  await expect(welcome).toContainText('Alice Archer');
  await expect(log(bob).getByText('Alice Archer added you.')).toBeVisible(SYNC);
  await bob.getByRole('textbox', { name: 'Message' }).fill('Thanks, I will be there.');
  await bob.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(log(alice).getByRole('listitem').filter({ hasText: 'Thanks, I will be there.' })).toContainText('Bob Baker');
  await shot(bob, '16-group-chat');
  await noSeriousA11yViolations(bob, 'group chat');

  // dave opens the group too.
  await dave.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /Launch crew/ }).click();
  await expect(log(dave).getByText('Welcome to the launch crew! Stand-up is at 9:30.')).toBeVisible();

  // A plain member sees members and roles but no manage controls.
  let info = await openGroupInfo(bob);
  await expect(info.getByRole('list', { name: 'Members' })).toContainText('Alice Archer');
  await expect(info.getByRole('list', { name: 'Members' })).toContainText('Owner');
  await expect(info.getByRole('button', { name: /^Remove / })).toHaveCount(0);
  await expect(info.getByRole('button', { name: /^Make / })).toHaveCount(0);
  await expect(info.getByRole('button', { name: 'Add member' })).toHaveCount(0);
  await expect(info.getByRole('checkbox')).toHaveCount(0);
  await expect(info.getByRole('button', { name: 'Leave group' })).toBeVisible();
  await info.getByRole('button', { name: 'Close' }).click();

  // alice (owner) makes bob an admin.
  info = await openGroupInfo(alice);
  await expect(info.getByRole('button', { name: 'Remove Dave Diaz' })).toBeVisible();
  await info.getByRole('button', { name: 'Make Bob Baker admin' }).click();
  await expect(info.getByRole('status')).toHaveText('Bob Baker is now a group admin.');
  await expect(info.getByRole('button', { name: 'Make Bob Baker member' })).toBeVisible();
  await shot(alice, '17-group-info');
  await noSeriousA11yViolations(alice, 'group info dialog (manager)');
  await info.getByRole('button', { name: 'Close' }).click();
  await expect(log(alice).getByText('You made Bob Baker a group admin.')).toBeVisible();

  // bob, now an admin, removes dave.
  await expect(log(bob).getByText('Alice Archer made you a group admin.')).toBeVisible(SYNC);
  info = await openGroupInfo(bob);
  await info.getByRole('button', { name: 'Remove Dave Diaz' }).click();
  await expect(info.getByRole('status')).toHaveText('Dave Diaz was removed.');
  await expect(info.getByRole('list', { name: 'Members' })).not.toContainText('Dave Diaz');
  await info.getByRole('button', { name: 'Close' }).click();
  await expect(log(bob).getByText('You removed Dave Diaz.')).toBeVisible();

  // dave's app: no longer a member, and the composer says why it is closed.
  await expect(log(dave).getByText('You are no longer a member of this group.')).toBeVisible(SYNC);
  await expect(dave.getByText("You are no longer a member of this group, so you can't send messages here.")).toBeVisible();
  await expect(dave.getByRole('textbox', { name: 'Message' })).toBeDisabled();
  await expect(dave.getByRole('button', { name: 'Send' })).toBeDisabled();
  await shot(dave, '18-group-removed');
  await noSeriousA11yViolations(dave, 'removed from a group');

  // Announcement: alice makes bob a member again and lets only admins post; bob's composer closes.
  info = await openGroupInfo(alice);
  await info.getByRole('button', { name: 'Make Bob Baker member' }).click();
  await expect(info.getByRole('status')).toHaveText('Bob Baker is now a member.');
  await info.getByRole('checkbox', { name: 'Only admins can post (announcement)' }).check();
  await expect(info.getByRole('status')).toHaveText('Only admins can post now.');
  await expect(info.getByText('Announcement: only admins post')).toBeVisible();
  await info.getByRole('button', { name: 'Close' }).click();
  await expect(alice.getByText('Group · 2 members · announcement')).toBeVisible();
  await expect(bob.getByText('Only group admins can post in this announcement group.')).toBeVisible(SYNC);
  await expect(bob.getByRole('textbox', { name: 'Message' })).toBeDisabled();
  await expect(bob.getByRole('button', { name: 'Send' })).toBeDisabled();
  await shot(bob, '19-group-announcement');
  await noSeriousA11yViolations(bob, 'announcement group, plain member');

  // carol (org admin): Directory and Groups pages of the admin console.
  await carol.getByRole('button', { name: 'Admin console' }).click();
  await carol.getByRole('tab', { name: 'Directory' }).click();
  const directory = carol.getByRole('table', { name: /Directory/ });
  await expect(directory).toBeVisible();
  const daveRow = directory.getByRole('row', { name: /Dave Diaz/ });
  await expect(daveRow).toContainText('dave@acme.test');
  await expect(daveRow).toContainText('Just in time');
  await expect(daveRow).toContainText('1 device');
  await expect(directory.getByRole('row', { name: /Carol Chen/ })).toContainText('Org admin');
  await shot(carol, '20-admin-directory');
  await noSeriousA11yViolations(carol, 'admin console: directory');

  await carol.getByRole('tab', { name: 'Groups' }).click();
  const groups = carol.getByRole('table', { name: /Groups/ });
  const row = groups.getByRole('row', { name: /Launch crew/ });
  await expect(row).toBeVisible();
  await expect(row.getByRole('cell').nth(0)).toHaveText('2');
  await expect(row.getByRole('cell').nth(1)).toHaveText('Yes');
  await expect(row.getByRole('cell').nth(2)).toHaveText('No');
  await expect(row.getByRole('cell').nth(3)).toHaveText('No');
  await expect(row).toContainText('Not a member');
  await shot(carol, '21-admin-groups');
  await noSeriousA11yViolations(carol, 'admin console: groups');

  // carol manages the group without being in it: she adds dave back.
  await row.getByRole('button', { name: 'Manage Launch crew' }).click();
  const manage = carol.getByRole('dialog', { name: /Group info: Launch crew/ });
  await expect(manage.getByText(/you are not a member \(organization admin\)/)).toBeVisible();
  await expect(manage.getByRole('button', { name: 'Leave group' })).toHaveCount(0);
  await manage.getByRole('button', { name: 'Add member' }).click();
  await manage.getByRole('searchbox', { name: 'Add member' }).fill('dave');
  await manage.getByRole('button', { name: 'Add Dave Diaz' }).click();
  await expect(manage.getByRole('status')).toHaveText('Dave Diaz was added.');
  await expect(manage.getByRole('list', { name: 'Members' })).toContainText('Dave Diaz');
  await shot(carol, '22-admin-group-manage');
  await noSeriousA11yViolations(carol, 'group info dialog (org admin)');
  await manage.getByRole('button', { name: 'Close' }).click();
  await expect(row.getByRole('cell').nth(0)).toHaveText('3');

  // dave is back: the log says who added him; an announcement group keeps his composer closed.
  await expect(log(dave).getByText('Carol Chen added you.')).toBeVisible(SYNC);
  await expect(dave.getByText('Only group admins can post in this announcement group.')).toBeVisible();
});
