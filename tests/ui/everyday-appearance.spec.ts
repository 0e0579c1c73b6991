// Dark theme following the OS with a manual choice in Settings, and a layout that works down to 360 px.
// Real server, dev IdP, browser shells, Chromium; axe on the dark screens.
import { test, expect, type Page } from '@playwright/test';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

let world: World;
test.beforeAll(async () => { world = await startWorld(['alice', 'bob']); });
test.afterAll(async () => { await world?.stop(); });

/** Relative luminance-ish brightness (0–255) of the page background. */
const background = (page: Page) => page.evaluate(() => {
  const [r, g, b] = getComputedStyle(document.documentElement).backgroundColor.match(/\d+/g)!.map(Number) as [number, number, number];
  return (r + g + b) / 3;
});

test('dark when the OS is dark, light or dark by choice in Settings; a chat at 360 px keeps its text readable', async ({ browser }) => {
  const alice = await signIn(browser, world.ui.alice!, 'alice');
  await signIn(browser, world.ui.bob!, 'bob');
  await alice.getByRole('searchbox', { name: 'Search directory' }).fill('bob');
  await alice.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: /Bob Baker/ }).click();
  const text = 'A long line to check the wrapping: the quarterly review moved to Thursday at 3 pm in room Zürich.';
  await alice.getByRole('textbox', { name: 'Message' }).fill(text);
  await alice.getByRole('button', { name: 'Send' }).click();
  const bubble = alice.getByRole('log', { name: 'Messages' }).getByText(text);
  await expect(bubble).toBeVisible();

  expect(await background(alice)).toBeGreaterThan(200);
  await alice.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => background(alice)).toBeLessThan(50);
  await shot(alice, '31-dark-theme');
  await noSeriousA11yViolations(alice, 'dark chat');

  // A manual choice wins over the OS and survives a reload.
  await alice.getByRole('button', { name: 'Settings' }).click();
  const settings = alice.getByRole('dialog', { name: /Settings/ });
  await settings.getByRole('radio', { name: 'Light' }).check();
  await expect.poll(() => background(alice)).toBeGreaterThan(200);
  await settings.getByRole('radio', { name: 'Dark' }).check();
  await alice.emulateMedia({ colorScheme: 'light' });
  await expect.poll(() => background(alice)).toBeLessThan(50);
  await noSeriousA11yViolations(alice, 'dark settings');
  await shot(alice, '32-dark-settings');
  await settings.getByRole('radio', { name: 'Same as the system' }).check();
  await expect.poll(() => background(alice)).toBeGreaterThan(200);
  await settings.getByRole('button', { name: 'Close' }).click();

  // 360 px wide: the list sits above the chat; the message wraps in words, not one letter per line.
  await alice.setViewportSize({ width: 360, height: 740 });
  await expect(bubble).toBeVisible();
  const box = await bubble.boundingBox();
  expect(box!.width).toBeGreaterThan(200);
  await expect(alice.getByRole('textbox', { name: 'Message' })).toBeInViewport();
  await shot(alice, '33-narrow-360');
  await noSeriousA11yViolations(alice, 'chat at 360 px');
});
