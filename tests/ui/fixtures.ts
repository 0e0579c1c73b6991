// Real processes for UI tests: `parley-server --dev-idp` and one `parley-app --browser-shell` per person,
// started exactly as a user would, each in its own temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForLine } from '../support/wait-for.ts';

const ROOT = join(import.meta.dirname, '..', '..');

async function startProcess(
  script: string, args: string[], ready: RegExp, env: Record<string, string> = {},
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d; });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${script} exited ${code}: ${err}`))));
  exited.catch(() => {}); // after start-up an exit is stop()'s business
  try {
    const line = await Promise.race([waitForLine(child.stdout!, ready, { timeoutMs: 60_000 }), exited]);
    child.stdout!.resume(); // keep draining what it prints later (a caller may listen too)
    return { child, match: line.match(ready)! };
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${script} did not start: ${(e as Error).message}\n${err}`);
  }
}

const LINK = /^Parley UI: (\S+)$/;
const SPARE_LINKS = 2;

export interface World {
  serverUrl: string;
  /** A one-time link to each person's app: every read is a new link (a link opens the app once). */
  ui: Record<string, string>;
  stop(): Promise<void>;
}

export interface WorldOptions {
  /** Turns on the server's SCIM 2.0 endpoint (/scim/v2) with this bearer token (given as PARLEY_SCIM_TOKEN). */
  scimToken?: string;
  /** The server's --policy-file (messaging policy text and workplace rules; consent is then required). */
  policyFile?: string;
}

export async function startWorld(people: string[], opts: WorldOptions = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-ui-'));
  const children: ChildProcess[] = [];
  const server = await startProcess(
    'server/cli/parley-server.js',
    ['--data', join(dir, 'server'), '--port', '0', '--dev-idp', ...(opts.policyFile !== undefined ? ['--policy-file', opts.policyFile] : [])],
    /listening on (http:\/\/\S+)/,
    opts.scimToken !== undefined ? { PARLEY_SCIM_TOKEN: opts.scimToken } : {},
  );
  children.push(server.child);
  const serverUrl = server.match[1]!;
  const ui: Record<string, string> = {};
  for (const who of people) {
    const app = await startProcess('electron/cli/parley-app.js', ['--profile', join(dir, who), '--server', serverUrl, '--browser-shell', '--no-window'], LINK);
    children.push(app.child);
    // Links are spent when a page opens them; parley-app prints a new one per line on its stdin. A few are
    // kept ready, so that reading world.ui.NAME stays synchronous; each read asks for a replacement.
    const ready = [app.match[1]!];
    const more = () => app.child.stdin!.write('\n');
    let wanted = SPARE_LINKS;
    const filled = new Promise<void>((resolve) => {
      createInterface({ input: app.child.stdout! }).on('line', (line) => {
        const m = LINK.exec(line);
        if (!m) return;
        ready.push(m[1]!);
        if (--wanted === 0) resolve();
      });
    });
    for (let i = 0; i < SPARE_LINKS; i++) more();
    await filled;
    Object.defineProperty(ui, who, {
      enumerable: true,
      get: () => {
        const link = ready.shift();
        if (!link) throw new Error(`no one-time link for ${who} ready yet (more than ${SPARE_LINKS + 1} read at once)`);
        more();
        return link;
      },
    });
  }
  return {
    serverUrl, ui,
    async stop() {
      await Promise.all(children.map((c) => stopChild(c)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- shared steps of the UI specs ----
import { expect, type Browser, type Page } from '@playwright/test';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { stopChild } from '../support/child.ts';

/** docs/screenshots (tracked, shown in the README) only when asked: PARLEY_SCREENSHOTS=1 npx playwright test.
 * Otherwise under test-results/, so that `npm test` leaves the checkout clean. */
export const SHOTS = process.env.PARLEY_SCREENSHOTS ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'test-results', 'screenshots');

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

export async function noSeriousA11yViolations(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`), `axe on ${where}`).toEqual([]);
}

export type SignInScreen = 'sign-in' | 'company-login' | 'consent';

/** Signs `who` in through the real dev IdP in a new tab, accepts the policy, waits until online. */
export async function signIn(browser: Browser, url: string, who: string, atScreen?: (screen: SignInScreen, page: Page) => Promise<void>): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  const signInButton = page.getByRole('button', { name: 'Sign in with your organization' });
  await expect(signInButton).toBeVisible();
  await atScreen?.('sign-in', page);
  const popupPromise = page.waitForEvent('popup');
  await signInButton.click();
  const idp = await popupPromise;
  await expect(idp.getByRole('textbox', { name: 'Username' })).toBeVisible();
  await atScreen?.('company-login', idp);
  await idp.getByRole('textbox', { name: 'Username' }).fill(who);
  await idp.getByRole('button', { name: 'Sign in' }).click();
  await expect(idp.getByText(/You can close this tab/)).toBeVisible();
  await idp.close();
  const accept = page.getByRole('button', { name: 'Accept and continue' });
  await expect(accept).toBeVisible();
  await expect(page.getByText(/end-to-end encrypted/)).toBeVisible();
  await atScreen?.('consent', page);
  await accept.click();
  await expect(page.getByRole('searchbox', { name: 'Search directory' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Connection' })).toContainText(/online/i);
  return page;
}
