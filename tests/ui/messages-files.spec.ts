// Files in the real UI (Debian's Chromium, real server and parley-app processes): attached with the
// "Attach file" button, pasted and dropped; a picture previews inline from a blob: URL; other files save
// and open (in the browser shell both are downloads); programs are never opened — not by the UI and not
// through the API either; a "picture" whose bytes are not one is never shown. And the organization's rule
// that turns read receipts off for everyone: the Settings switch is off, disabled, and says why.
import { test, expect, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noSeriousA11yViolations, shot, signIn, startWorld, type World } from './fixtures.ts';

const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
const message = (page: Page, text: string) => log(page).locator('li.message', { has: page.locator('p.text', { hasText: text }) });

async function openChat(page: Page, name: string): Promise<void> {
  const inList = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: new RegExp(`^${name}`) });
  if (await inList.count() === 0) {
    await page.getByRole('searchbox', { name: 'Search directory' }).fill(name.split(' ')[0]!.toLowerCase());
    await page.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: new RegExp(name) }).click();
  } else {
    await inList.first().click();
  }
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
}

/** A real PNG, drawn by Chromium itself. */
async function drawPng(page: Page, width: number, height: number): Promise<Buffer> {
  const b64 = await page.evaluate(async ([w, h]) => {
    const c = document.createElement('canvas');
    c.width = w!;
    c.height = h!;
    const g = c.getContext('2d')!;
    g.fillStyle = '#2457c5';
    g.fillRect(0, 0, w!, h!);
    g.fillStyle = '#ffd166';
    g.fillRect(w! / 8, h! / 4, w! / 4, h! / 2);
    g.fillRect(w! / 2, h! / 8, w! / 4, (h! * 3) / 4);
    const blob = await new Promise<Blob>((r) => c.toBlob((b) => r(b!), 'image/png'));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (const x of bytes) s += String.fromCharCode(x);
    return btoa(s);
  }, [width, height]);
  return Buffer.from(b64, 'base64');
}

test.describe('files', () => {
  let world: World;
  test.beforeAll(async () => { world = await startWorld(['alice', 'bob']); });
  test.afterAll(async () => { await world?.stop(); });

  test('a picture previews inline, other files save and open as downloads, programs are never opened', async ({ browser }) => {
    const alice = await signIn(browser, world.ui.alice!, 'alice');
    const bob = await signIn(browser, world.ui.bob!, 'bob');
    await openChat(alice, 'Bob Baker');

    const png = await drawPng(alice, 320, 180);
    const minutes = 'Minutes of the Q3 review\n- budget approved\n- next review in January\n';
    const chooser = alice.waitForEvent('filechooser');
    await alice.getByRole('button', { name: 'Attach file' }).click();
    await (await chooser).setFiles([
      { name: 'q3-chart.png', mimeType: 'image/png', buffer: png },
      { name: 'minutes.txt', mimeType: 'text/plain', buffer: Buffer.from(minutes) },
      { name: 'setup.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ\x90\x00 not really a program') },
      // Claims to be a picture; its bytes are an SVG document with a script.
      { name: 'totally-a-photo.png', mimeType: 'image/png', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>') },
    ]);
    const pending = alice.getByRole('list', { name: 'Files to send' });
    await expect(pending.getByRole('listitem')).toHaveCount(4);
    await expect(pending).not.toContainText('Encrypting and uploading');
    await alice.getByRole('textbox', { name: 'Message' }).fill('Q3 files attached');
    await shot(alice, '90-composer-files');
    await noSeriousA11yViolations(alice, 'composer with files');
    await alice.getByRole('textbox', { name: 'Message' }).press('Enter');
    await expect(pending).toHaveCount(0);

    await openChat(bob, 'Alice Archer');
    const got = message(bob, 'Q3 files attached');
    const img = got.getByRole('img', { name: 'q3-chart.png', exact: true });
    await expect(img).toBeVisible();
    // Decoded in the page from a blob: URL (the CSP allows blob: images, nothing remote).
    expect(await img.getAttribute('src')).toMatch(/^blob:http:\/\/127\.0\.0\.1:\d+\//);
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(320);
    await expect(got.getByText(/No preview: This file is not a picture Parley can show/)).toBeVisible();
    await expect(got.getByRole('img', { name: 'totally-a-photo.png', exact: true })).toHaveCount(0);
    await expect(got.getByText('setup.exe')).toBeVisible();
    await expect(got.getByRole('button', { name: 'Open setup.exe' })).toHaveCount(0);
    await expect(got.getByText(/Parley never opens it/)).toBeVisible();
    await shot(bob, '91-files');
    await noSeriousA11yViolations(bob, 'a message with files');

    // Save and Open: the browser shell has no save dialog, so both hand the file to the browser as a download.
    for (const button of ['Save minutes.txt', 'Open minutes.txt']) {
      const download = bob.waitForEvent('download');
      await got.getByRole('button', { name: button }).click();
      const d = await download;
      expect(d.suggestedFilename()).toBe('minutes.txt');
      expect(readFileSync(await d.path())).toEqual(Buffer.from(minutes));
    }

    // The attack: asking the API itself to open the program is refused with a sentence.
    const id = (await got.getAttribute('id'))!.replace(/^msg-/, '');
    // Files keep the order they were chosen in: the program is the third.
    await expect(got.locator('.attachment .file-name')).toHaveText(['q3-chart.png', 'minutes.txt', 'setup.exe', 'totally-a-photo.png']);
    const refusal = await bob.evaluate(async (messageId) => {
      const api = (window as unknown as { parley: { call(m: string, i: unknown): Promise<unknown> } }).parley;
      return api.call('attachments.open', { messageId, index: 2 }).then(() => 'opened', (err: Error) => err.message);
    }, id);
    expect(refusal).toMatch(/^Parley does not open programs, scripts or web pages\./);

    // Paste and drop work like the button.
    const pasted = await drawPng(alice, 64, 64);
    await alice.getByRole('textbox', { name: 'Message' }).focus();
    await alice.evaluate(([b64]) => {
      const bytes = Uint8Array.from(atob(b64!), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'screenshot.png', { type: 'image/png' }));
      document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, [pasted.toString('base64')]);
    await alice.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['agenda: budget, hiring'], 'agenda.txt', { type: 'text/plain' }));
      const chat = document.querySelector('section.chat')!;
      chat.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      chat.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await expect(pending.getByRole('listitem')).toHaveCount(2);
    await expect(pending).toContainText('screenshot.png');
    await expect(pending).toContainText('agenda.txt');
    await expect(pending).not.toContainText('Encrypting and uploading');
    await alice.getByRole('button', { name: 'Send' }).click();
    const second = log(bob).locator('li.message', { has: bob.getByRole('img', { name: 'screenshot.png', exact: true }) });
    await expect(second).toBeVisible();
    await expect(second.getByRole('button', { name: 'Save agenda.txt' })).toBeVisible();
    await alice.context().close();
    await bob.context().close();
  });
});

test.describe('organization rules', () => {
  let world: World;
  let dir: string;
  test.beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-policy-'));
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ text: 'Acme messaging policy: messages are end-to-end encrypted; be kind, keep secrets.', rules: { readReceipts: 'off' } }));
    world = await startWorld(['alice', 'bob'], { policyFile: policy });
  });
  test.afterAll(async () => {
    await world?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('read receipts forced off: the switch is off and disabled with a sentence, and nobody sees "Read"', async ({ browser }) => {
    const alice = await signIn(browser, world.ui.alice!, 'alice');
    const bob = await signIn(browser, world.ui.bob!, 'bob');
    await bob.getByRole('button', { name: 'Settings' }).click();
    const settings = bob.getByRole('dialog', { name: 'Settings' });
    const receipts = settings.getByRole('checkbox', { name: 'Read receipts' });
    await expect(receipts).toBeDisabled();
    await expect(receipts).not.toBeChecked();
    await expect(settings.getByText(/Your organization turned read receipts off for everyone/)).toBeVisible();
    await shot(bob, '92-read-receipts-forced-off');
    await noSeriousA11yViolations(bob, 'settings with read receipts forced off');
    await settings.getByRole('button', { name: /Close/ }).click();

    await openChat(alice, 'Bob Baker');
    await alice.getByRole('textbox', { name: 'Message' }).fill('Policy check');
    await alice.getByRole('textbox', { name: 'Message' }).press('Enter');
    await openChat(bob, 'Alice Archer');
    await expect(message(bob, 'Policy check')).toBeVisible();
    await bob.getByRole('textbox', { name: 'Message' }).fill('Seen.');
    await bob.getByRole('textbox', { name: 'Message' }).press('Enter');
    // Bob's reply left after the moment a receipt would have: by its arrival alice would see "Read".
    await expect(message(alice, 'Seen.')).toBeVisible();
    await expect(message(alice, 'Policy check')).toContainText('Delivered');
    await expect(message(alice, 'Policy check')).not.toContainText('Read');
    await alice.context().close();
    await bob.context().close();
  });
});
