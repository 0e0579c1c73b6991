// How a person reaches the browser shell, with the real `parley-app` process and Debian's Chromium:
// - Hardening finding 1: the link it prints (and the one a window gets) works once. A second client that
//   captured it — from `ps`, a terminal, a log — and replays it after the real page loaded gets nothing,
//   even with forged Host and Origin headers; Chromium's command line carries no secret at all.
// - Everyday item 2: a Chromium that dies at once is reported as such, with the link to open instead.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import type { RunningServer } from '../../server/app.ts';
import { CHROMIUM_ARGS } from '../../playwright.config.ts';
import { waitFor, waitForLine } from '../support/wait-for.ts';
import { ROOT, startDevServer, tempDir } from './harness.ts';
import { stopChild } from '../support/child.ts';

const APP = join(ROOT, 'electron', 'cli', 'parley-app.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LINK = /^Parley UI: (http:\/\/127\.0\.0\.1:\d+\/\S*)$/;

let server: RunningServer;
let root: string;
let browser: Browser;
const apps: ChildProcessWithoutNullStreams[] = [];

before(async () => {
  root = tempDir('launch');
  server = await startDevServer(join(root, 'server'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
after(async () => {
  await Promise.all(apps.map(stopApp));
  await browser?.close();
  await server?.close();
});

function startApp(profile: string, extra: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [APP, '--profile', join(root, profile), '--server', server.url, '--browser-shell', ...extra], {
    cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'],
  });
  apps.push(child);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const line = (re: RegExp) => waitForLine(child.stdout, re, { timeoutMs: 90_000 }).catch((e: Error) => { throw new Error(`${e.message}\n${out}`); });
  return { child, line, output: () => out };
}

function stopApp(child: ChildProcessWithoutNullStreams): Promise<void> {
  return stopChild(child);
}

/** What a local attacker holding a captured URL tries: every value it carries, as a code and as a token. */
async function replay(url: string): Promise<number[]> {
  const { origin, hash } = new URL(url);
  const values = [...new URLSearchParams(hash.slice(1)).values(), hash.slice(1)];
  const forged = { origin, host: new URL(url).host, 'content-type': 'application/json' };
  const statuses: number[] = [];
  for (const v of values) {
    statuses.push((await fetch(`${origin}/api/session`, { method: 'POST', headers: forged, body: JSON.stringify({ code: v }) })).status);
    for (const [method, input] of [['conversations.list', {}], ['policy.accept', { version: '1' }], ['admin.users', {}], ['state.get', {}]] as const) {
      const res = await fetch(`${origin}/api/call`, { method: 'POST', headers: { ...forged, 'x-parley-token': v }, body: JSON.stringify({ method, input }) });
      statuses.push(res.status);
    }
  }
  return statuses;
}

test('the printed link opens the app once: replayed after the real page loaded, it opens nothing', async () => {
  const app = startApp('alice', ['--no-window']);
  const url = (await app.line(LINK)).match(LINK)![1]!;

  const page = await (await browser.newContext()).newPage();
  await page.goto(url);
  await page.getByRole('button', { name: 'Sign in with your organization' }).waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the page drops the spent code from its address');
  await page.reload(); // the page keeps its session; the link is not needed again
  await page.getByRole('button', { name: 'Sign in with your organization' }).waitFor();

  // A second browser with the captured link: told the link was used, no UI.
  const thief = await (await browser.newContext()).newPage();
  await thief.goto(url);
  await thief.getByRole('alert').filter({ hasText: /already used/ }).waitFor();
  assert.equal(await thief.getByRole('button', { name: 'Sign in with your organization' }).count(), 0);
  // A local process with the captured link and forged Host/Origin: refused on every call.
  const statuses = await replay(url);
  assert.ok(statuses.length >= 10 && statuses.every((s) => s === 401), `every replay refused with 401: ${statuses}`);

  // Enter in the terminal prints a new link, which opens the app in another browser (once).
  const next = app.line(LINK);
  app.child.stdin.write('\n');
  const url2 = (await next).match(LINK)![1]!;
  assert.notEqual(url2, url);
  const second = await (await browser.newContext()).newPage();
  await second.goto(url2);
  await second.getByRole('button', { name: 'Sign in with your organization' }).waitFor();
  assert.ok((await replay(url2)).every((s) => s === 401));
  await stopApp(app.child);
});

/** A port nothing listens on, for --port (so that the test knows what a secret URL would contain). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

/** Every process's command line, as `ps` shows it to any user. */
function commandLines(): string[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
    try { return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')]; } catch { return []; }
  });
}

test('the app window gets its link through a private file: no command line carries a secret', { skip: !existsSync('/usr/bin/xvfb-run') && 'needs xvfb-run (apt-get install xvfb xauth)' }, async () => {
  // A real Chromium window on a virtual display. As root Chromium needs --no-sandbox; Parley never adds it
  // on its own (see the next test), so this stand-in user's browser does.
  const wrapper = join(root, 'chromium-on-xvfb');
  writeFileSync(wrapper, `#!/bin/sh\nexec xvfb-run -a ${CHROMIUM} ${process.getuid?.() === 0 ? '--no-sandbox ' : ''}"$@"\n`, { mode: 0o700 });
  const port = await freePort();
  const app = startApp('bob', ['--window', '--port', String(port)], { ...process.env, PARLEY_CHROMIUM: wrapper });
  await app.line(/^Opened Parley in a Chromium app window\./);
  assert.doesNotMatch(app.output(), /Parley UI:/, 'no link printed while the window is up');

  const lines = commandLines();
  const ours = lines.filter((l) => l.includes('--app=file://') && l.includes('parley-open-'));
  assert.ok(ours.length > 0, 'the window was started with a file, not a URL');
  const leaking = lines.filter((l) => l.includes(`127.0.0.1:${port}`) || /[#?&](code|token)=/.test(l));
  assert.deepEqual(leaking, [], 'no process shows the shell\'s address or a code');
  const openFile = /--app=file:\/\/(\S+)/.exec(ours[0]!)![1]!;
  assert.equal(existsSync(decodeURIComponent(openFile)), false, 'the private file is gone once the page redeemed it');

  await stopApp(app.child); // closes the window it opened
  await waitFor(() => !commandLines().some((l) => l.includes(openFile)), { what: 'the Chromium window to close', timeoutMs: 20_000 });
});

test('a Chromium that dies at once is reported, and the link to open is printed instead', { skip: !existsSync(CHROMIUM) && `no ${CHROMIUM}` }, async () => {
  // No display; as root also no --no-sandbox: either way Chromium exits at once, saying why on stderr.
  const env: NodeJS.ProcessEnv = { ...process.env, PARLEY_CHROMIUM: CHROMIUM };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const app = startApp('carol', ['--window'], env);
  const url = (await app.line(LINK)).match(LINK)![1]!;
  const out = app.output();
  assert.match(out, /No app window: Chromium exited at once: .*(Running as root without --no-sandbox|Missing X server or \$DISPLAY)/);
  assert.doesNotMatch(out, /Opened/);
  const page = await (await browser.newContext()).newPage();
  await page.goto(url);
  await page.getByRole('button', { name: 'Sign in with your organization' }).waitFor();
  await stopApp(app.child);
});

test('parley-app refuses --window with --no-window in one line', async () => {
  const app = startApp('dave', ['--window', '--no-window']);
  const code = await new Promise<number | null>((r) => app.child.once('exit', r));
  assert.equal(code, 2);
  assert.equal(app.output().trim(), 'parley-app: --window and --no-window contradict each other');
});
