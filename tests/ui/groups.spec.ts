// Admin-governed groups through the real UI in Debian's Chromium: alice creates a group with bob and dave from
// directory search, bob reads her message with her name and the system message that he was added, a plain
// member has no manage controls, alice makes bob an admin, bob removes dave (dave's app says he is out and
// cannot send), the announcement setting closes bob's composer once he is a member again, and carol (org admin)
// sees the Directory and Groups pages of the admin console and manages the group without being in it. Then the
// identity provider pushes a group over SCIM and carol creates a group that follows it: bob is in it through the
// directory (a "Directory" badge, no Remove button, no Leave button).
// Removing a member asks first; a group's conversation-list preview names the sender.
// Screenshots 15–25 in docs/screenshots/, axe on each new screen and dialog.
import { test, expect, type Page } from '@playwright/test';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;

const SCIM_TOKEN = 'ui-groups-scim-token-0123456789';

test.beforeAll(async () => { world = await startWorld(['alice', 'bob', 'dave', 'carol'], { scimToken: SCIM_TOKEN }); });
test.afterAll(async () => { await world?.stop(); });

/** Group events reach other people's apps through the server's group-changed signal or, failing that, the 10 s sync. */
const SYNC = { timeout: 25_000 };

/** The company directory's side: SCIM 2.0 as an identity provider would call it. */
async function scim(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${world.serverUrl}/scim/v2${path}`, {
    method, headers: { authorization: `Bearer ${SCIM_TOKEN}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(res.ok, `SCIM ${method} ${path}: ${res.status}`).toBe(true);
  return res.status === 204 ? null : res.json();
}

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

  // bob's list: the new group's preview is its last system message as it is (no sender name).
  const bobGroup = bob.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Launch crew/ });
  await expect(bobGroup).toContainText(/Alice Archer added (you|Dave Diaz)\./, SYNC);
  await expect(bobGroup).not.toContainText('Alice Archer: ');

  await alice.getByRole('textbox', { name: 'Message' }).fill('Welcome to the launch crew! Stand-up is at 9:30.');
  await alice.getByRole('button', { name: 'Send' }).click();
  await expect(log(alice).getByText('Welcome to the launch crew! Stand-up is at 9:30.')).toBeVisible();

  // bob: the list names the sender of the group's last message, the message carries alice's name, the log says he was added.
  await expect(bobGroup).toContainText('Alice Archer: Welcome to the launch crew!');
  await bobGroup.click();
  const welcome = log(bob).getByRole('listitem').filter({ hasText: 'Welcome to the launch crew!' });
  await expect(welcome).toContainText('Alice Archer');
  await expect(log(bob).getByText('Alice Archer added you.')).toBeVisible(SYNC);
  await bob.getByRole('textbox', { name: 'Message' }).fill('Thanks, I will be there.');
  await bob.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(log(alice).getByRole('listitem').filter({ hasText: 'Thanks, I will be there.' })).toContainText('Bob Baker');
  await expect(bobGroup).toContainText('You: Thanks, I will be there.');
  await expect(alice.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Launch crew/ })).toContainText('Bob Baker: Thanks, I will be there.');
  await shot(bob, '16-group-chat');
  await noSeriousA11yViolations(bob, 'group chat');

  // dave opens the group too.
  await dave.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Launch crew/ }).click();
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
  // "Remove" asks first; "Cancel" leaves dave in place and gives the focus back.
  await info.getByRole('button', { name: 'Remove Dave Diaz' }).click();
  const confirmRemove = info.getByRole('group', { name: 'Remove Dave Diaz from Launch crew?' });
  await expect(confirmRemove).toHaveText(/Remove Dave Diaz from Launch crew\? They will get no new messages from this group\./);
  await expect(confirmRemove.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await confirmRemove.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirmRemove).toHaveCount(0);
  await expect(info.getByRole('button', { name: 'Remove Dave Diaz' })).toBeFocused();
  await expect(info.getByRole('list', { name: 'Members' })).toContainText('Dave Diaz');
  await expect(info.getByRole('status')).toHaveText('');
  // Escape answers the question too, and leaves the dialog open.
  await info.getByRole('button', { name: 'Remove Dave Diaz' }).click();
  await bob.keyboard.press('Escape');
  await expect(info.getByRole('button', { name: 'Remove Dave Diaz' })).toBeFocused();
  await info.getByRole('button', { name: 'Remove Dave Diaz' }).click();
  await expect(info.getByRole('button', { name: 'Yes, remove Dave Diaz' })).toBeVisible();
  await noSeriousA11yViolations(bob, 'group info dialog (confirm removal)');
  await info.getByRole('button', { name: 'Yes, remove Dave Diaz' }).click();
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

  // A directory-linked group: the identity provider pushes "Engineering" (bob and dave) over SCIM; carol (org admin)
  // creates a group that follows it without picking anyone by hand; the directory's members cannot be removed by hand.
  const idOf = async (email: string) => (await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).Resources[0].id as string;
  await scim('POST', '/Groups', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering',
    members: [{ value: await idOf('bob@acme.test') }, { value: await idOf('dave@acme.test') }],
  });
  await carol.getByRole('button', { name: 'Back to chats' }).click();
  await carol.getByRole('button', { name: 'New group' }).click();
  const linkDialog = carol.getByRole('dialog', { name: 'New group' });
  await linkDialog.getByRole('textbox', { name: 'Group name' }).fill('Engineering chat');
  const follow = linkDialog.getByRole('combobox', { name: 'Follow a directory group' });
  await expect(follow).toBeEnabled();
  await expect(follow).toHaveValue('');
  await expect(follow.getByRole('option', { name: 'None' })).toHaveCount(1);
  await follow.selectOption({ label: 'Engineering (2 people)' });
  await expect(linkDialog.getByText('Everyone in Engineering joins and leaves this group with the company directory.')).toBeVisible();
  await expect(linkDialog.getByRole('list', { name: /Members \(1, plus everyone in Engineering\)/ })).toBeVisible();
  await shot(carol, '23-new-group-directory');
  await noSeriousA11yViolations(carol, 'new group dialog (org admin, directory group)');
  await linkDialog.getByRole('button', { name: 'Create group' }).click();
  await expect(linkDialog).toHaveCount(0);
  await expect(carol.getByRole('heading', { name: 'Engineering chat', level: 1 })).toBeVisible();
  await expect(carol.getByText('Group · 3 members')).toBeVisible();

  await carol.getByRole('button', { name: 'Group info' }).click();
  const linkedInfo = carol.getByRole('dialog', { name: /Group info: Engineering chat/ });
  const linkedMembers = linkedInfo.getByRole('list', { name: 'Members' });
  await expect(linkedMembers).toBeVisible();
  await expect(linkedInfo.getByText('Follows the directory group Engineering')).toBeVisible();
  await expect(linkedMembers.getByRole('listitem').filter({ hasText: 'Bob Baker' }).getByText('Directory', { exact: true })).toBeVisible();
  await expect(linkedMembers.getByRole('listitem').filter({ hasText: 'Dave Diaz' })).toContainText('Managed by the company directory');
  await expect(linkedInfo.getByRole('button', { name: /^Remove / })).toHaveCount(0);
  await expect(linkedInfo.getByRole('combobox', { name: 'Directory group' })).toHaveValue(/\S/);
  await shot(carol, '24-group-info-directory');
  await noSeriousA11yViolations(carol, 'group info dialog (directory-linked, org admin)');
  await linkedInfo.getByRole('button', { name: 'Close' }).click();
  await expect(carol.getByText('Group · 3 members · follows the directory')).toBeVisible();

  // bob: the group appears; he is in it through the directory (badge, no Leave button).
  const bobLinked = bob.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Engineering chat/ });
  await expect(bobLinked).toBeVisible(SYNC);
  await bobLinked.click();
  await expect(bob.getByRole('heading', { name: 'Engineering chat', level: 1 })).toBeVisible();
  await bob.getByRole('button', { name: 'Group info' }).click();
  const bobInfo = bob.getByRole('dialog', { name: /Group info: Engineering chat/ });
  const bobMembers = bobInfo.getByRole('list', { name: 'Members' });
  await expect(bobMembers.getByRole('listitem').filter({ hasText: '(you)' }).getByText('Directory', { exact: true })).toBeVisible();
  await expect(bobInfo.getByText('Follows a company directory group')).toBeVisible();
  await expect(bobInfo.getByText('You are in this group through the company directory')).toBeVisible();
  await expect(bobInfo.getByRole('button', { name: /^Remove / })).toHaveCount(0);
  await expect(bobInfo.getByRole('button', { name: 'Leave group' })).toHaveCount(0);
  await expect(bobInfo.getByRole('combobox')).toHaveCount(0);
  await shot(bob, '25-group-info-directory-member');
  await noSeriousA11yViolations(bob, 'group info dialog (directory-linked, member)');
  await bobInfo.getByRole('button', { name: 'Close' }).click();

  // The admin console's Groups page names the directory group.
  await carol.getByRole('button', { name: 'Admin console' }).click();
  await carol.getByRole('tab', { name: 'Groups' }).click();
  await carol.getByRole('button', { name: 'Refresh' }).click();
  const linkedRow = carol.getByRole('table', { name: /Groups/ }).getByRole('row', { name: /Engineering chat/ });
  await expect(linkedRow.getByRole('cell').nth(3)).toHaveText(/Yes\s*Engineering/);

  // Unlinked (from the admin console), everyone stays as a member added by hand and can be removed by hand;
  // following the directory group again adds its missing people and leaves those added by hand alone.
  await linkedRow.getByRole('button', { name: 'Manage Engineering chat' }).click();
  const manageLinked = carol.getByRole('dialog', { name: /Group info: Engineering chat/ });
  const directorySelect = manageLinked.getByRole('combobox', { name: 'Directory group' });
  await directorySelect.selectOption({ label: 'None' });
  await expect(manageLinked.getByRole('status')).toHaveText('The group no longer follows the company directory.');
  await expect(manageLinked.getByText('Follows the directory group')).toHaveCount(0);
  await expect(manageLinked.getByRole('button', { name: 'Remove Bob Baker' })).toBeVisible();
  await expect(linkedRow.getByRole('cell').nth(3)).toHaveText('No');
  await directorySelect.selectOption({ label: 'Engineering (2 people)' });
  await expect(manageLinked.getByRole('status')).toHaveText('The group now follows Engineering.');
  await expect(manageLinked.getByText('Follows the directory group Engineering')).toBeVisible();
  await expect(manageLinked.getByRole('button', { name: 'Remove Bob Baker' })).toBeVisible();
  await manageLinked.getByRole('button', { name: 'Close' }).click();
  await expect(linkedRow.getByRole('cell').nth(3)).toHaveText(/Yes\s*Engineering/);
});
