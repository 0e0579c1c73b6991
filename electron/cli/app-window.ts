// Showing the browser shell to a person: a Chromium app window when one can open, else a printed one-time
// link — and in both cases the truth about what happened. Shared by `npm start` and `parley-app`.
//
// Nothing secret goes on Chromium's command line (`ps` shows it to every local user): the window is pointed
// at a file only this user can read, which forwards to a one-time link; the shell spends the link's code
// the moment the page redeems it. "Opened" is only said once the page has done so.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { BrowserShell } from '../browser-shell/server.ts';

/** How long a started Chromium may take to show the page before we say it did not. */
const WINDOW_TIMEOUT_MS = 30_000;
const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export type WindowOutcome =
  | { opened: true; /** settles when the window's browser exits (the person closed it) */ closed: Promise<void>; stop(): void }
  | { opened: false; reason: string };

/** A window unless told otherwise: --window / --no-window win; by default only for a person at a terminal. */
export function windowWanted(flag: boolean | undefined): boolean {
  return flag ?? (!process.env.CI && process.stdout.isTTY === true);
}

/** PARLEY_CHROMIUM (a Chromium or Chrome binary), else the usual install paths. */
function findChromium(): string | undefined {
  return process.env.PARLEY_CHROMIUM || CHROMIUM_PATHS.find((p) => existsSync(p));
}

/** The line of Chromium's stderr that says why it gave up ("Running as root without --no-sandbox…",
 * "Missing X server or $DISPLAY"): its first error that is not about D-Bus, without the [pid:tid:…] prefix. */
export function chromiumReason(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => /:(ERROR|FATAL):/.test(l) && !/dbus|bus\.cc/i.test(l));
  return line?.replace(/^\[[^\]]*\]\s*/, '').trim().replace(/\.$/, '');
}

export async function openAppWindow(shell: BrowserShell, profileDir: string, timeoutMs = WINDOW_TIMEOUT_MS): Promise<WindowOutcome> {
  const chromium = findChromium();
  if (!chromium) return { opened: false, reason: 'Chromium is not installed (sudo apt-get install chromium)' };
  const link = shell.link();
  // mkdtemp makes the folder 0700; the file is 0600 as well. It is removed as soon as the outcome is known.
  const dir = mkdtempSync(join(tmpdir(), 'parley-open-'));
  const page = join(dir, 'open.html');
  writeFileSync(page, `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0; url=${link.url}"><title>Parley</title>\n`, { mode: 0o600 });
  const logFile = join(dir, 'chromium.log');
  const log = openSync(logFile, 'w', 0o600);
  const userData = join(profileDir, '.chromium');
  mkdirSync(userData, { recursive: true });
  const child = spawn(chromium, [
    `--app=${pathToFileURL(page).href}`, `--user-data-dir=${userData}`, '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ], { stdio: ['ignore', 'ignore', log], detached: true });
  closeSync(log);
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('exit', (code) => resolve({ code }));
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await new Promise<WindowOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ opened: false, reason: `Chromium showed no window within ${timeoutMs / 1000} s` }), timeoutMs);
    void link.redeemed.then(() => resolve({
      opened: true,
      // After a hand-over the process we started is gone already; the window is not ours to watch.
      closed: child.exitCode === null ? exited.then(() => undefined) : new Promise<void>(() => {}),
      stop: () => { if (child.exitCode === null && child.pid) try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ } },
    }));
    void exited.then(({ code, error }) => {
      if (error) return resolve({ opened: false, reason: `cannot start ${chromium}: ${error.message}` });
      const reason = chromiumReason(readFileSync(logFile, 'utf8'));
      // A quiet exit 0 is a hand-over to a Chromium already running on this profile: it shows the page.
      if (code !== 0 || reason) resolve({ opened: false, reason: `Chromium exited at once${reason ? `: ${reason}` : ` (code ${code})`}` });
    });
  });
  clearTimeout(timer);
  rmSync(dir, { recursive: true, force: true });
  if (!outcome.opened) {
    link.revoke();
    if (child.exitCode === null && child.pid) try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
  } else {
    child.unref();
  }
  return outcome;
}

/**
 * Tells the person where the app is: opens the window if wanted, prints a one-time link when no window
 * stayed up, and prints a new link for every Enter pressed in the terminal. Returns what closes the window.
 */
export async function presentBrowserShell(shell: BrowserShell, profileDir: string, wantWindow: boolean): Promise<() => void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const printLink = () => say(`Parley UI: ${shell.link().url}`);
  let stop = () => {};
  createInterface({ input: process.stdin }).on('line', printLink);
  if (wantWindow) {
    const window = await openAppWindow(shell, profileDir);
    if (window.opened) {
      stop = window.stop;
      say('Opened Parley in a Chromium app window. Press Enter here for a link to open it in another browser.');
      void window.closed.then(() => say('The app window was closed; Parley keeps running (Ctrl+C stops it). Press Enter for a link to open it again.'));
      return () => stop();
    }
    say(`No app window: ${window.reason}.`);
  }
  printLink();
  say('Open that link in a browser (Chromium or Chrome). It works once; press Enter here for another.');
  return () => stop();
}
