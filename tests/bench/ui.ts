// Over 400 lines because the section is one flow (seed profiles, spawn runs, page probe, the report tables) that reads top to bottom.
// Section 4: the desktop UI as a user starts it. The real server with the dev IdP runs in this process;
// each profile is signed in for real (loginNewDevice), has accepted the messaging policy and is seeded
// through the LocalStore API; then every run spawns the real `parley-app --browser-shell` process and
// drives Debian's Chromium (Playwright) to the conversation list and into a 1,000-message chat.
// Anchors: the same run with an empty profile, and `parley-app --help` (process + module loading only).
import { chromium, type Browser, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRendererBuilt, ROOT } from '../../electron/cli/launch.ts';
import { loginNewDevice } from '../../electron/core/messenger.ts';
import { directConversationId } from '../../electron/core/payload.ts';
import type { StoredMessage } from '../../electron/core/store/local-store.ts';
import { startServer, type RunningServer } from '../../server/app.ts';
import { ms, now, prng, summarize, type Goal, type SectionResult, type Table } from './stats.ts';
import { FIRST, LAST, messageText, pick } from './corpus.ts';

const APP = join(ROOT, 'electron', 'cli', 'parley-app.js');
const CLI = join(ROOT, 'electron', 'cli', 'parley.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The same arguments as playwright.config.ts (not imported: that module calls defineConfig from the test runner).
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const VIEWPORT = { width: 1200, height: 780 };
const RUNS = 5;
const HELP_RUNS = 3;
const CONVERSATIONS = 100;
const BIG_CHAT = 1_000;
const BATCH = 1_000;
/** The newest messages of the timeline go in after everything was marked read: a few small unread badges. */
const UNREAD_TAIL = 12;
export const WAIT_MS = 60_000;
/** The newest message of the 1,000-message chat (unique text: the run waits for exactly it). */
const NEWEST_TEXT = 'Perfect — see you in room Zürich at 3, I will bring the printed budget slides.';
const DAY = 86_400_000;

interface Profile {
  label: string;
  messages: number;
  dir: string;
  /** Title of the 1,000-message conversation (none for the empty profile). */
  bigChat?: string;
  dbBytes: number;
  seedMs: number;
}

// ---- seeding ----

export async function policyVersion(serverUrl: string): Promise<string> {
  const res = await fetch(`${serverUrl}/v1/policy`);
  if (!res.ok) throw new Error(`GET /v1/policy: HTTP ${res.status}`);
  return ((await res.json()) as { version: string }).version;
}

export function dbBytes(dir: string): number {
  return readdirSync(dir).filter((f) => f.startsWith('parley.db')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/**
 * Signs `username` in as a new device in `dir`, accepts the policy, and stores `total` messages over
 * 100 conversations with contacts: conversation 0 holds exactly 1,000 and the newest message of all;
 * the other 99 share the rest with a skewed (Zipf-like) activity. Timestamps run over the past year.
 */
async function seedProfile(label: string, dir: string, server: RunningServer, username: string, total: number, version: string): Promise<Profile> {
  const t0 = now();
  const m = await loginNewDevice(dir, server.url, { kind: 'dev-user', username });
  try {
    const store = m['store']; // seeding writes rows straight into the (private) store: no public API for 100k messages
    const me = m.me;
    await store.exclusive(async () => store.setMeta('policyAccepted', version));
    if (total === 0) return { label, messages: 0, dir, dbBytes: dbBytes(dir), seedMs: now() - t0 };
    const r = prng(0xc0ffee + total);
    const end = Date.now() - 5 * 60_000;
    const peers = Array.from({ length: CONVERSATIONS }, (_, c) => {
      const first = FIRST[c % FIRST.length]!;
      const last = LAST[(c * 7 + Math.floor(c / FIRST.length)) % LAST.length]!;
      const userId = `u_${randomBytes(16).toString('base64url')}`;
      const email = `${first}.${last}${c >= FIRST.length ? c : ''}@acme.test`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      return { userId, email, name: `${first} ${last}`, conversationId: directConversationId(me.userId, userId) };
    });
    // Which conversation each message of the timeline belongs to.
    const weights = peers.map((_, c) => (c === 0 ? 0 : 1 / (c ** 0.9)));
    const sum = weights.reduce((a, b) => a + b, 0);
    const slots: number[] = Array.from({ length: BIG_CHAT }, () => 0);
    while (slots.length < total) {
      let x = r() * sum;
      let c = 1;
      while (c < CONVERSATIONS - 1 && (x -= weights[c]!) > 0) c++;
      slots.push(c);
    }
    for (let i = slots.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [slots[i], slots[j]] = [slots[j]!, slots[i]!];
    }
    const lastBig = slots.lastIndexOf(0);
    [slots[lastBig], slots[total - 1]] = [slots[total - 1]!, slots[lastBig]!];

    const step = (365 * DAY) / total;
    const rows: Omit<StoredMessage, 'seq'>[] = slots.map((c, i) => {
      const peer = peers[c]!;
      const incoming = i === total - 1 ? true : r() < 0.55;
      const sentAt = Math.round(end - (total - i) * step + r() * step * 0.5);
      return {
        id: randomBytes(16).toString('base64url'), conversationId: peer.conversationId,
        senderUserId: incoming ? peer.userId : me.userId, senderDeviceId: incoming ? 1 : me.deviceId,
        direction: incoming ? 'in' : 'out', body: i === total - 1 ? NEWEST_TEXT : messageText(r),
        sentAt, receivedAt: sentAt + 80 + Math.floor(r() * 900), status: incoming ? 'received' : r() < 0.97 ? 'delivered' : 'sent',
      };
    });
    const first = rows[0]!.receivedAt;
    store.bulk(() => {
      for (const p of peers) {
        store.upsertContact({ userId: p.userId, email: p.email, name: p.name }, first);
        store.ensureConversation({ id: p.conversationId, kind: 'direct', peerUserId: p.userId, title: p.name }, first);
      }
    });
    const head = total - UNREAD_TAIL;
    for (let b = 0; b < head; b += BATCH) {
      store.bulk(() => {
        for (let i = b; i < Math.min(head, b + BATCH); i++) if (!store.addMessage(rows[i]!)) throw new Error(`duplicate message ${i}`);
      });
    }
    store.bulk(() => {
      for (const p of peers) store.markRead(p.conversationId);
      for (let i = head; i < total; i++) store.addMessage(rows[i]!);
    });
    const n = store.countMessages();
    if (n !== total) throw new Error(`seeded ${n} messages, expected ${total}`);
    return { label, messages: total, dir, bigChat: peers[0]!.name, dbBytes: dbBytes(dir), seedMs: now() - t0 };
  } finally {
    m.close();
  }
}

// ---- one run: spawn parley-app, open the page, wait for the list (and the chat) ----

/** Installed before any page script: timestamps (performance.now(), i.e. ms since navigation start) in window.__bench. */
const PAGE_PROBE = `(() => {
  const b = window.__bench = { listStart: null, listEnd: null, listBytes: 0, firstItem: null, empty: null, want: null, clickAt: null, wantAt: null };
  const orig = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const isList = b.listStart === null && init && typeof init.body === 'string' && init.body.includes('"method":"conversations.list"');
    const t = performance.now();
    const res = await orig(input, init);
    if (isList) {
      b.listStart = t;
      b.listEnd = performance.now();
      res.clone().text().then((x) => { b.listBytes = x.length; }, () => {});
    }
    return res;
  };
  const check = () => {
    const t = performance.now();
    if (b.firstItem === null && document.querySelector('ul[aria-label="Conversations"] > li')) b.firstItem = t;
    if (b.empty === null && document.querySelector('.list-empty')) b.empty = t;
    if (b.want !== null && b.wantAt === null) {
      const last = document.querySelector('[role="log"] ol.messages > li.message:last-child p.text');
      if (last && last.textContent === b.want) b.wantAt = t;
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
  document.addEventListener('click', () => { if (b.want !== null && b.clickAt === null) b.clickAt = performance.now(); }, true);
})();`;

interface Probe {
  listStart: number | null; listEnd: number | null; listBytes: number; firstItem: number | null; empty: number | null;
  want: string | null; clickAt: number | null; wantAt: number | null;
}

interface RunResult {
  spawnToLine: number;
  navToList: number;
  total: number;
  probe: Probe;
  chat?: { clickToNewest: number; clickToNewestDom: number | null; rendered: number; olderClicks: number; olderMs: number; renderedAll: number };
}

export function startApp(profileDir: string, serverUrl: string): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, [APP, '--profile', profileDir, '--server', serverUrl, '--browser-shell'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`parley-app printed no "Parley UI:" line in ${WAIT_MS} ms: ${out}`)), WAIT_MS);
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /Parley UI: (\S+)\n/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.stderr!.on('data', (d: Buffer) => { out += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`parley-app exited with ${code}: ${out}`)); });
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
  url.catch(() => undefined);
  return { child, url };
}

export async function stopApp(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

async function probe(page: Page): Promise<Probe> {
  return page.evaluate(() => (window as unknown as { __bench: Probe }).__bench);
}

async function runOnce(browser: Browser, profile: Profile, serverUrl: string, children: Set<ChildProcess>): Promise<RunResult> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  let child: ChildProcess | undefined;
  try {
    await context.addInitScript(PAGE_PROBE);
    const page = await context.newPage();
    const t0 = now();
    const app = startApp(profile.dir, serverUrl);
    child = app.child;
    children.add(child);
    const url = await app.url;
    const t1 = now();
    await page.goto(url, { waitUntil: 'commit', timeout: WAIT_MS });
    const list = page.getByRole('list', { name: 'Conversations' });
    if (profile.messages === 0) await page.getByText('No conversations yet').waitFor({ state: 'visible', timeout: WAIT_MS });
    else await list.getByRole('listitem').first().waitFor({ state: 'visible', timeout: WAIT_MS });
    const t2 = now();
    const result: RunResult = { spawnToLine: t1 - t0, navToList: t2 - t1, total: t2 - t0, probe: await probe(page) };

    if (profile.bigChat) {
      await page.evaluate((want) => { (window as unknown as { __bench: Probe }).__bench.want = want; }, NEWEST_TEXT);
      const log = page.getByRole('log', { name: 'Messages' });
      const item = list.getByRole('button', { name: new RegExp(`^${profile.bigChat}`) });
      await item.scrollIntoViewIfNeeded();
      const tc = now();
      await item.click();
      await log.getByText(NEWEST_TEXT, { exact: true }).last().waitFor({ state: 'visible', timeout: WAIT_MS });
      const clickToNewest = now() - tc;
      const p = await probe(page);
      const rendered = await log.locator('li.message').count();
      // Scrolling back to the first message: "Load earlier messages" until it is gone.
      const older = log.getByRole('button', { name: 'Load earlier messages' });
      const to = now();
      let clicks = 0;
      let count = rendered;
      while (await older.isVisible()) {
        await older.click();
        clicks++;
        // Done when new messages are in the DOM and the button is enabled again, or when it is gone (the last,
        // empty page: a full page of 100 always leaves the button, so the 1,000-message chat needs one more click).
        await page.waitForFunction((n) => {
          const btn = document.querySelector('[role="log"] .older button');
          return !btn || (!(btn as HTMLButtonElement).disabled && document.querySelectorAll('[role="log"] li.message').length > n);
        }, count, { timeout: WAIT_MS });
        count = await log.locator('li.message').count();
        if (clicks > 50) throw new Error('"Load earlier messages" never went away');
      }
      const olderMs = now() - to;
      result.probe = p;
      result.chat = {
        clickToNewest, clickToNewestDom: p.clickAt !== null && p.wantAt !== null ? p.wantAt - p.clickAt : null,
        rendered, olderClicks: clicks, olderMs, renderedAll: count,
      };
    }
    return result;
  } finally {
    await context.close().catch(() => undefined);
    if (child) { await stopApp(child); children.delete(child); }
  }
}

/** Anchors for the process start: spawn → exit of a Node process that does (almost) nothing. */
const START_ANCHORS: { label: string; args: string[] }[] = [
  { label: '`node -e 0` (bare Node start)', args: ['-e', '0'] },
  { label: '`node --import tsx -e 0` (Node + the tsx loader)', args: ['--import', 'tsx', '-e', '0'] },
  { label: '`parley-app --help` (Node + tsx + the app\'s whole module graph; no store, no server)', args: [APP, '--help'] },
];

async function spawnToExit(args: string[]): Promise<number> {
  const t0 = now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')} exited with ${code}`))));
  });
  return now() - t0;
}

// ---- the section ----

const dist = (xs: number[]) => {
  const s = summarize(xs);
  return { med: s.p50, min: s.min, max: s.max };
};
const fmtDist = (xs: number[]) => {
  const d = dist(xs);
  return [ms(d.med), `${ms(d.min)}–${ms(d.max)}`];
};
const med = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? ms(summarize(v).p50) : 'n/a';
};
const mb = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MB`;

export async function runUi(log: (line: string) => void = () => {}): Promise<SectionResult> {
  await ensureRendererBuilt();
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-ui-'));
  const children = new Set<ChildProcess>();
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer({ dataDir: join(root, 'server'), port: 0, host: '127.0.0.1', devIdp: true, logger: false });
    const version = await policyVersion(server.url);
    const profiles = [
      await seedProfile('empty profile (0 messages)', join(root, 'empty'), server, 'alice', 0, version),
      await seedProfile('10,000 messages', join(root, 'p10k'), server, 'bob', 10_000, version),
      await seedProfile('100,000 messages', join(root, 'p100k'), server, 'dave', 100_000, version),
    ];
    for (const p of profiles) log(`ui: ${p.label}: signed in and seeded in ${(p.seedMs / 1000).toFixed(1)} s (${mb(p.dbBytes)})`);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    // Warm-up (untimed): first tsx compile of the app's modules, first Chromium renderer, disk cache.
    await runOnce(browser, profiles[1]!, server.url, children);
    const starts = START_ANCHORS.map(() => [] as number[]);
    for (let i = 0; i <= HELP_RUNS; i++) {
      for (const [j, a] of START_ANCHORS.entries()) {
        const t = await spawnToExit(a.args);
        if (i > 0) starts[j]!.push(t); // the first round is warm-up
      }
    }
    const help = starts[START_ANCHORS.length - 1]!;
    // `parley whoami` on the 100,000-message profile: process start, store open, the account read, exit.
    const whoami: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const t = await spawnToExit([CLI, '--profile', profiles[2]!.dir, 'whoami']);
      if (i > 0) whoami.push(t);
    }

    const results = new Map<Profile, RunResult[]>(profiles.map((p) => [p, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const p of profiles) {
        const r = await runOnce(browser, p, server.url, children);
        results.get(p)!.push(r);
        log(`ui: run ${run + 1}/${RUNS} ${p.label}: spawn→list ${ms(r.total)} ms (line ${ms(r.spawnToLine)}, page ${ms(r.navToList)})` +
          (r.chat ? `; chat ${ms(r.chat.clickToNewest)} ms, ${r.chat.rendered} rendered, all ${r.chat.renderedAll} after ${r.chat.olderClicks} × load earlier (${ms(r.chat.olderMs)} ms)` : ''));
      }
    }

    const startRows = profiles.map((p) => {
      const rs = results.get(p)!;
      return [p.messages === 0 ? `_anchor_: ${p.label}` : `**${p.label}**`, String(rs.length),
        ...fmtDist(rs.map((r) => r.total)), ...fmtDist(rs.map((r) => r.spawnToLine)), ...fmtDist(rs.map((r) => r.navToList))];
    });
    for (const [j, a] of START_ANCHORS.entries()) startRows.push([`_anchor_: ${a.label}, spawn → exit`, String(starts[j]!.length), ...fmtDist(starts[j]!), '', '', '', '']);
    startRows.push(['**`parley whoami`, 100,000-message profile**, spawn → exit', String(whoami.length), ...fmtDist(whoami), '', '', '', '']);
    const pageRows = profiles.map((p) => {
      const rs = results.get(p)!;
      const shown = rs.map((r) => r.probe.firstItem ?? r.probe.empty);
      return [p.messages === 0 ? `_anchor_: ${p.label}` : p.label, med(rs.map((r) => r.probe.listStart)),
        med(rs.map((r) => (r.probe.listStart !== null && r.probe.listEnd !== null ? r.probe.listEnd - r.probe.listStart : null))),
        `${(summarize(rs.map((r) => r.probe.listBytes)).p50 / 1024).toFixed(1)} KiB`,
        med(rs.map((r, i) => (r.probe.listEnd !== null && shown[i] !== null ? shown[i]! - r.probe.listEnd : null))), med(shown),
        mb(p.dbBytes)];
    });
    const chatProfiles = profiles.filter((p) => p.bigChat);
    const chatRows = chatProfiles.map((p) => {
      const cs = results.get(p)!.map((r) => r.chat!);
      const rendered = [...new Set(cs.map((c) => c.rendered))].join('/');
      const all = [...new Set(cs.map((c) => c.renderedAll))].join('/');
      return [`**${p.label}**`, String(cs.length), ...fmtDist(cs.map((c) => c.clickToNewest)), med(cs.map((c) => c.clickToNewestDom)),
        rendered, `${ms(summarize(cs.map((c) => c.olderMs)).p50)} (${[...new Set(cs.map((c) => c.olderClicks))].join('/')} clicks → ${all})`];
    });

    const byLabel = (n: number) => profiles.find((p) => p.messages === n)!;
    const totalMed = (p: Profile) => dist(results.get(p)!.map((r) => r.total)).med;
    const lineMed = (p: Profile) => dist(results.get(p)!.map((r) => r.spawnToLine)).med;
    const navMed = (p: Profile) => dist(results.get(p)!.map((r) => r.navToList)).med;
    const e = byLabel(0);
    const k10 = byLabel(10_000);
    const k100 = byLabel(100_000);
    const signed = (v: number) => `${v >= 0 ? '+' : '−'}${ms(Math.abs(v))}`;
    const delta = (p: Profile) => `${ms(totalMed(p))} ms (${signed(totalMed(p) - totalMed(e))} ms; medians of the parts: ` +
      `${signed(lineMed(p) - lineMed(e))} ms before the line, ${signed(navMed(p) - navMed(e))} ms in the page)`;
    const spread = (p: Profile) => { const d = dist(results.get(p)!.map((r) => r.total)); return d.max - d.min; };
    const bigChatRendered = chatRows.map((r) => r[5]).join('/');

    const tables: Table[] = [
      {
        title: `Start → conversation list shown: spawn \`parley-app --browser-shell\`, open its URL in Chromium (${RUNS} runs per profile, interleaved)`,
        columns: ['profile', 'n', 'total ms (median)', 'range', 'spawn → "Parley UI:" line (median)', 'range', 'navigation → first list item visible (median)', 'range'],
        rows: startRows,
        notes: [
          `"Parley UI:" is printed after the store is open (vault key, SQLCipher), the server was asked for the messaging policy and the browser-shell HTTP server listens; the app then starts receiving over the WebSocket. "First list item visible" is Playwright's wait for the first \`listitem\` of list "Conversations" (for the empty profile: the "No conversations yet" text); the page is navigated with \`waitUntil: 'commit'\`, so the wait covers loading the bundle, \`state.get\`, \`conversations.list\` and rendering.`,
          `Compared with the empty profile (median ${ms(totalMed(e))} ms), the median start is ${delta(k10)} with 10,000 messages and ${delta(k100)} with 100,000. ` +
            `For scale, the empty profile's own runs spread over ${ms(spread(e))} ms (max − min): differences smaller than that are within the noise of this machine.`,
        ],
      },
      {
        title: 'Inside the page (medians, from the page\'s own clock: ms since navigation start)',
        columns: ['profile', '`conversations.list` sent at', '`conversations.list` round trip (to the response headers)', 'response size', 'response → first item in the DOM (body, parse, render)', 'first item in the DOM at', 'store file (db + WAL)'],
        rows: pageRows,
        notes: ['Measured by a probe injected before any page script (a wrapped `fetch` and a MutationObserver); "in the DOM" is before paint, so it is a little earlier than Playwright\'s "visible".'],
      },
      {
        title: `Chat view: click the ${BIG_CHAT.toLocaleString('en-US')}-message conversation → its newest message visible in log "Messages"`,
        columns: ['profile', 'n', 'click → newest visible ms (median)', 'range', 'in page: click event → newest in the DOM', 'message elements rendered', 'then "Load earlier messages" until gone, ms (median)'],
        rows: chatRows,
        notes: [
          `The chat view does not load all ${BIG_CHAT.toLocaleString('en-US')} messages: \`app.select\` (renderer/src/lib/stores.svelte.ts) asks \`messages.list\` for the newest PAGE = 100, and "Load earlier messages" fetches 100 more each time. What was actually rendered on opening: ${bigChatRendered} \`li.message\` elements in the log. The last column clicks "Load earlier messages" until all ${BIG_CHAT.toLocaleString('en-US')} are rendered (each click waits for the new messages in the DOM). The last click loads nothing: \`hasOlder\` is \`page.length >= PAGE\`, so after a full page the button stays even when no older message exists.`,
        ],
      },
    ];
    const anchors = [
      `UI start to the conversation list: empty profile ${ms(totalMed(e))} ms (median) vs ${delta(k10)} with 10,000 stored messages, ${delta(k100)} with 100,000; of the empty profile's start, ${ms(dist(help).med)} ms is just starting Node with tsx and loading the app's modules (\`parley-app --help\`; bare \`node -e 0\` ${ms(dist(starts[0]!).med)} ms, with the tsx loader ${ms(dist(starts[1]!).med)} ms).`,
    ];
    const method = [
      `UI (section 4): the server (dev IdP) runs in the bench process; three profiles are signed in with \`loginNewDevice\` (alice empty, bob 10,000 messages, dave 100,000), accept the policy version from \`GET /v1/policy\`, and are seeded through \`LocalStore.bulk\` in ${BATCH.toLocaleString('en-US')}-message transactions: ${CONVERSATIONS} conversations with contacts, one with exactly ${BIG_CHAT.toLocaleString('en-US')} messages (holding the newest message of all), the rest Zipf-like; English work-chat texts from templates, over the past year; ${UNREAD_TAIL} newest messages unread. Seeding took ${profiles.map((p) => `${(p.seedMs / 1000).toFixed(1)} s`).join(' / ')} (empty / 10k / 100k, sign-in included).`,
      `UI: each run spawns \`node electron/cli/parley-app.js --profile DIR --server URL --browser-shell\` (a new process, so a cold SQLCipher page cache; the OS file cache is warm), opens its URL in a fresh context of one headless Debian Chromium (${CHROMIUM}, the args of playwright.config.ts, viewport ${VIEWPORT.width}×${VIEWPORT.height}) driven by Playwright, then stops the process with SIGTERM. One untimed warm-up run first (tsx compile cache, Chromium). ${RUNS} runs per profile, interleaved across profiles; ranges are min–max.`,
    ];
    const goals: Goal[] = [
      { goal: '`parley whoami` < 400 ms (100,000 messages)', measured: `median ${ms(dist(whoami).med)} ms (${fmtDist(whoami)[1]} ms)`, met: dist(whoami).med < 400 },
      { goal: 'App start → conversation list < 800 ms with 100,000 messages', measured: `median ${ms(totalMed(k100))} ms (spawn → "Parley UI:" ${ms(lineMed(k100))} ms, page ${ms(navMed(k100))} ms)`, met: totalMed(k100) < 800 },
    ];
    return { tables, anchors, method, goals };
  } finally {
    await browser?.close().catch(() => undefined);
    for (const c of children) await stopApp(c);
    await server?.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}
