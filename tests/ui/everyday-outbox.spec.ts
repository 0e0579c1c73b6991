// The offline outbox in the app: with the server stopped, a message shows "Waiting to send" instead of an
// error; when the server is back on the same port, the queue goes out in order and bob reads all of it.
// The test owns the server process (to stop and restart it); real dev IdP, browser shells, Chromium; axe.
import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noSeriousA11yViolations, shot, signIn } from './fixtures.ts';
import { stopChild } from '../support/child.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'parley-ui-outbox-'));
const children: ChildProcess[] = [];

/** Starts a bin and resolves with the first stdout line matching `ready` (and a reader for later lines). */
function start(script: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray; lines: AsyncIterator<string> }> {
  const child = spawn(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d; });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return (async () => {
    for (;;) {
      const next = await lines.next();
      if (next.done) throw new Error(`${script} exited before it was ready: ${err}`);
      const match = next.value.match(ready);
      if (match) return { child, match, lines };
    }
  })();
}

function stop(child: ChildProcess): Promise<void> {
  return stopChild(child);
}

const startServer = (port: number) =>
  start('server/cli/parley-server.js', ['--data', join(dir, 'server'), '--port', String(port), '--dev-idp'], /listening on (http:\/\/\S+)/);

/** A browser-shell app; `link()` asks it for a fresh one-time link. */
async function startApp(who: string, serverUrl: string) {
  const LINK = /^Parley UI: (\S+)$/;
  const app = await start('electron/cli/parley-app.js', ['--profile', join(dir, who), '--server', serverUrl, '--browser-shell', '--no-window'], LINK);
  let first: string | undefined = app.match[1]!;
  return {
    async link(): Promise<string> {
      if (first) { const l = first; first = undefined; return l; }
      app.child.stdin!.write('\n');
      for (;;) {
        const next = await app.lines.next();
        if (next.done) throw new Error(`parley-app for ${who} exited`);
        const m = LINK.exec(next.value);
        if (m) return m[1]!;
      }
    },
  };
}

test.afterAll(async () => {
  await Promise.all(children.map(stop));
  rmSync(dir, { recursive: true, force: true });
});

test('written while the server is down: "Waiting to send", then sent in order when it is back', async ({ browser }) => {
  let server = await startServer(0);
  const serverUrl = server.match[1]!;
  const port = Number(new URL(serverUrl).port);
  const aliceApp = await startApp('alice', serverUrl);
  const bobApp = await startApp('bob', serverUrl);
  const alice = await signIn(browser, await aliceApp.link(), 'alice');
  const bob = await signIn(browser, await bobApp.link(), 'bob');

  await alice.getByRole('searchbox', { name: 'Search directory' }).fill('bob');
  await alice.getByRole('list', { name: 'Directory results' }).getByRole('button', { name: /Bob Baker/ }).click();
  const composer = alice.getByRole('textbox', { name: 'Message' });
  const log = alice.getByRole('log', { name: 'Messages' });
  await composer.fill('Before the outage');
  await alice.getByRole('button', { name: 'Send' }).click();
  await expect(log.getByRole('listitem').filter({ hasText: 'Before the outage' })).toContainText(/Sent|Delivered/);

  await stop(server.child);
  await expect(alice.getByRole('status', { name: 'Connection' })).not.toContainText(/online/i, { timeout: 15_000 });
  for (const text of ['Written offline, first', 'Written offline, second']) {
    await composer.fill(text);
    await alice.getByRole('button', { name: 'Send' }).click();
    await expect(log.getByRole('listitem').filter({ hasText: text })).toContainText('Waiting to send');
  }
  await expect(alice.getByRole('alert')).toHaveCount(0); // no error: the messages are kept
  await shot(alice, '37-waiting-to-send');
  await noSeriousA11yViolations(alice, 'chat with queued messages');

  server = await startServer(port);
  await expect(alice.getByRole('status', { name: 'Connection' })).toContainText(/online/i, { timeout: 30_000 });
  for (const text of ['Written offline, first', 'Written offline, second']) {
    await expect(log.getByRole('listitem').filter({ hasText: text })).toContainText(/Sent|Delivered/, { timeout: 30_000 });
  }

  await bob.getByRole('button', { name: /^Alice Archer/ }).click();
  const bobLog = bob.getByRole('log', { name: 'Messages' });
  await expect(bobLog.getByText('Written offline, second')).toBeVisible({ timeout: 30_000 });
  const texts = await bobLog.locator('.message.in .text').allInnerTexts();
  expect(texts).toEqual(['Before the outage', 'Written offline, first', 'Written offline, second']);
});
