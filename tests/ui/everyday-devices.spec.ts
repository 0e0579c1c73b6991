// Settings → Your devices: both of alice's devices listed with name, platform and last seen; this one renamed,
// the other removed (after a confirmation), then Sign out back to the sign-in screen. Real server, dev IdP,
// browser shells, Chromium; axe on the list and the confirmation.
import { test, expect } from '@playwright/test';
import { hostname } from 'node:os';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;
test.beforeAll(async () => { world = await startWorld(['alice', 'alice-laptop']); });
test.afterAll(async () => { await world?.stop(); });

test('your devices: listed, this one renamed, another removed, then signed out with a confirmation', async ({ browser }) => {
  const laptop = await signIn(browser, world.ui['alice-laptop']!, 'alice');
  const alice = await signIn(browser, world.ui.alice!, 'alice');
  const defaultName = `Parley desktop on ${hostname()}`;

  await alice.getByRole('button', { name: 'Settings' }).click();
  const settings = alice.getByRole('dialog', { name: /Settings/ });
  const list = settings.getByRole('list', { name: 'Your devices' });
  await expect(list.getByRole('listitem')).toHaveCount(2);
  await expect(list.getByRole('listitem').first()).toContainText(defaultName);
  await expect(list.getByRole('listitem').first()).toContainText('Linux · this device');
  await expect(list.getByRole('listitem').nth(1)).toContainText(/Linux · last seen/);

  await list.getByRole('button', { name: 'Rename' }).click();
  await settings.getByRole('textbox', { name: 'Name of this device' }).fill('Work laptop');
  await settings.getByRole('button', { name: 'Save name' }).click();
  await expect(list.getByRole('listitem').first()).toContainText('Work laptop');
  await settings.getByRole('heading', { name: 'Your devices' }).scrollIntoViewIfNeeded();
  await shot(alice, '34-own-devices');
  await noSeriousA11yViolations(alice, 'settings: your devices');

  await list.getByRole('button', { name: `Remove ${defaultName}` }).click();
  const confirmRemove = alice.getByRole('dialog', { name: `Remove “${defaultName}”?` });
  await expect(confirmRemove).toContainText('signed out at once and gets no more messages');
  await noSeriousA11yViolations(alice, 'remove device confirmation');
  await confirmRemove.getByRole('button', { name: 'Remove device' }).click();
  await expect(confirmRemove).toBeHidden();
  await expect(list.getByRole('listitem')).toHaveCount(1);
  // The removed device is told at once (its socket closes) and leaves the chat screens.
  await expect(laptop.getByRole('searchbox', { name: 'Search directory' })).toBeHidden({ timeout: 30_000 });

  await settings.getByRole('button', { name: 'Sign out of this device…' }).click();
  const confirmOut = alice.getByRole('dialog', { name: 'Sign out of this device?' });
  await expect(confirmOut).toContainText('Your messages on this device are deleted');
  await confirmOut.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirmOut).toBeHidden();
  await settings.getByRole('button', { name: 'Sign out of this device…' }).click();
  await alice.getByRole('dialog', { name: 'Sign out of this device?' }).getByRole('button', { name: 'Sign out and delete' }).click();
  await expect(alice.getByRole('button', { name: 'Sign in with your organization' })).toBeVisible();
});
