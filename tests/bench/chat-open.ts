// Section: opening a chat of 10,000 messages with files, as a user does. The real server (dev IdP) runs in
// this process; one profile is signed in for real and its chat seeded through the LocalStore API with
// 10,000 messages, about a third of them carrying files that were really encrypted and uploaded through
// Messenger.attachments (a picture, a PDF, a spreadsheet, a document; each message refers to one of
// these uploads, so every preview decodes real bytes from this device's encrypted copy). The anchor: the
// same chat without files. Every run spawns the real `parley-app --browser-shell`, opens it in Debian's
// Chromium, waits for the conversation list, clicks the chat and waits for its newest message, then for
// every picture in view to be decoded.
import { chromium, type Browser } from '@playwright/test';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { ensureRendererBuilt } from '../../electron/cli/launch.ts';
import { loginNewDevice } from '../../electron/core/messenger.ts';
import { directConversationId } from '../../electron/core/payload.ts';
import type { AttachmentPointer } from '../../common/wire/content.ts';
import type { NewMessage } from '../../electron/core/store/local-store.ts';
import { startServer, type RunningServer } from '../../server/app.ts';
import { ms, now, prng, summarize, type SectionResult } from './stats.ts';
import { messageText } from './corpus.ts';
import { CHROMIUM, CHROMIUM_ARGS, dbBytes, policyVersion, startApp, stopApp, VIEWPORT, WAIT_MS } from './ui.ts';

const MESSAGES = 10_000;
const WITH_FILES = 0.35;
const RUNS = 5;
const BATCH = 1_000;
const NEWEST_TEXT = 'Final numbers attached — the board pack goes out at 5.';
const PEER_NAME = 'Fatima Okafor';

interface ChatProfile { label: string; dir: string; files: boolean; dbBytes: number; seedMs: number; uploads: number }

/** A real PNG (solid bands), encoded here: the preview must decode real image bytes. */
function png(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      const band = Math.floor((x / width) * 6);
      raw[o] = 36 + band * 30; raw[o + 1] = 87 + ((y * 2) % 120); raw[o + 2] = 197 - band * 20;
    }
  }
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}

async function seed(label: string, dir: string, server: RunningServer, username: string, files: boolean, version: string): Promise<ChatProfile> {
  const t0 = now();
  const m = await loginNewDevice(dir, server.url, { kind: 'dev-user', username });
  try {
    await m.acceptPolicy(version);
    const store = m['store']; // seeding writes rows straight into the (private) store, like section 4
    const me = m.me;
    const pointers: AttachmentPointer[] = [];
    if (files) {
      const r = prng(7);
      const bytes = (n: number) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256); return b; };
      for (const f of [
        { fileName: 'site-photo.png', contentType: 'image/png', bytes: png(640, 360) },
        { fileName: 'Q3 board pack.pdf', contentType: 'application/pdf', bytes: bytes(180_000) },
        { fileName: 'budget-2027.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', bytes: bytes(60_000) },
        { fileName: 'minutes.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: bytes(25_000) },
      ]) pointers.push(await m.attachments.upload(f));
    }
    const peer = { userId: `u_${randomBytes(16).toString('base64url')}`, email: 'fatima.okafor@acme.test', name: PEER_NAME };
    const conversationId = directConversationId(me.userId, peer.userId);
    const r = prng(0xbeef);
    const end = Date.now() - 60_000;
    const rows: NewMessage[] = Array.from({ length: MESSAGES }, (_, i) => {
      const incoming = i === MESSAGES - 1 ? true : r() < 0.5;
      const sentAt = end - (MESSAGES - i) * 90_000;
      const attach = files && (i === MESSAGES - 1 || r() < WITH_FILES)
        ? (r() < 0.3 ? [pointers[0]!] : [pointers[1 + Math.floor(r() * 3)]!, ...(r() < 0.2 ? [pointers[0]!] : [])])
        : undefined;
      return {
        id: randomBytes(16).toString('base64url'), conversationId, senderUserId: incoming ? peer.userId : me.userId,
        senderDeviceId: incoming ? 1 : me.deviceId, direction: incoming ? 'in' : 'out', body: i === MESSAGES - 1 ? NEWEST_TEXT : messageText(r),
        sentAt, receivedAt: sentAt + 200, status: incoming ? 'received' : 'delivered', ...(attach ? { attachments: attach } : {}),
      };
    });
    store.bulk(() => {
      store.upsertContact({ userId: peer.userId, email: peer.email, name: peer.name }, rows[0]!.receivedAt);
      store.ensureConversation({ id: conversationId, kind: 'direct', peerUserId: peer.userId, title: peer.name }, rows[0]!.receivedAt);
    });
    for (let b = 0; b < MESSAGES; b += BATCH) {
      store.bulk(() => {
        for (let i = b; i < Math.min(MESSAGES, b + BATCH); i++) if (!store.addMessage(rows[i]!)) throw new Error(`duplicate message ${i}`);
      });
    }
    store.bulk(() => store.markRead(conversationId));
    // Our encrypted copies are filed under a message that uses them (the sweep at open keeps referenced files anyway).
    const first = rows.find((x) => x.attachments?.length);
    if (first) await m.attachments.grant(first.id, pointers, []);
    return { label, dir, files, dbBytes: dbBytes(dir), seedMs: now() - t0, uploads: pointers.length };
  } finally {
    m.close();
  }
}

interface Run { clickToNewest: number; clickToPictures: number | null; rendered: number; files: number; pictures: number }

async function runOnce(browser: Browser, p: ChatProfile, serverUrl: string, children: Set<ChildProcess>): Promise<Run> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  let child: ChildProcess | undefined;
  try {
    const page = await context.newPage();
    const app = startApp(p.dir, serverUrl);
    child = app.child;
    children.add(child);
    await page.goto(await app.url, { waitUntil: 'commit', timeout: WAIT_MS });
    const item = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: new RegExp(`^${PEER_NAME}`) });
    await item.waitFor({ state: 'visible', timeout: WAIT_MS });
    const log = page.getByRole('log', { name: 'Messages' });
    const t0 = now();
    await item.click();
    await log.getByText(NEWEST_TEXT, { exact: true }).waitFor({ state: 'visible', timeout: WAIT_MS });
    const clickToNewest = now() - t0;
    let clickToPictures: number | null = null;
    if (p.files) {
      // Every picture in view decoded (the previews below the fold load as they scroll in).
      await page.waitForFunction(() => {
        const box = document.querySelector('[role="log"]')!.getBoundingClientRect();
        const inView = Array.from(document.querySelectorAll('[role="log"] .attachment')).filter((a) => {
          const r = a.getBoundingClientRect();
          return r.bottom > box.top && r.top < box.bottom && a.querySelector('img, .image-placeholder');
        });
        return inView.length > 0 && inView.every((a) => { const img = a.querySelector('img'); return img !== null && img.complete && img.naturalWidth > 0; });
      }, undefined, { timeout: WAIT_MS });
      clickToPictures = now() - t0;
    }
    return {
      clickToNewest, clickToPictures,
      rendered: await log.locator('li.message').count(),
      files: await log.locator('.attachment').count(),
      pictures: await log.locator('.attachment img').count(),
    };
  } finally {
    await context.close().catch(() => undefined);
    if (child) { await stopApp(child); children.delete(child); }
  }
}

export async function runChatOpen(log: (line: string) => void = () => {}): Promise<SectionResult> {
  await ensureRendererBuilt();
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-chat-'));
  const children = new Set<ChildProcess>();
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer({ dataDir: join(root, 'server'), port: 0, host: '127.0.0.1', devIdp: true, logger: false });
    const version = await policyVersion(server.url);
    const profiles = [
      await seed(`${MESSAGES.toLocaleString('en-US')} messages, ${Math.round(WITH_FILES * 100)}% with files`, join(root, 'files'), server, 'alice', true, version),
      await seed(`anchor: ${MESSAGES.toLocaleString('en-US')} messages, no files`, join(root, 'plain'), server, 'bob', false, version),
    ];
    for (const p of profiles) log(`chat-open: ${p.label}: seeded in ${(p.seedMs / 1000).toFixed(1)} s (${(p.dbBytes / 1024 ** 2).toFixed(1)} MB store, ${p.uploads} uploads)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    await runOnce(browser, profiles[0]!, server.url, children); // warm-up (untimed)
    const results = new Map<ChatProfile, Run[]>(profiles.map((p) => [p, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const p of profiles) {
        const r = await runOnce(browser, p, server.url, children);
        results.get(p)!.push(r);
        log(`chat-open: run ${i + 1}/${RUNS} ${p.label}: newest ${ms(r.clickToNewest)} ms${r.clickToPictures !== null ? `, pictures in view ${ms(r.clickToPictures)} ms` : ''} (${r.rendered} messages, ${r.files} files, ${r.pictures} pictures rendered)`);
      }
    }
    const d = (xs: number[]) => { const s = summarize(xs); return [ms(s.p50), `${ms(s.min)}–${ms(s.max)}`]; };
    const rows = profiles.map((p) => {
      const rs = results.get(p)!;
      const pics = rs.map((r) => r.clickToPictures).filter((x): x is number => x !== null);
      return [p.files ? `**${p.label}**` : `_${p.label}_`, String(rs.length), ...d(rs.map((r) => r.clickToNewest)),
        pics.length ? d(pics)[0]! : '—', `${rs[0]!.rendered} / ${rs[0]!.files} / ${rs[0]!.pictures}`, `${(p.dbBytes / 1024 ** 2).toFixed(1)} MB`];
    });
    const med = (p: ChatProfile) => summarize(results.get(p)!.map((r) => r.clickToNewest)).p50;
    return {
      tables: [{
        title: `Click a ${MESSAGES.toLocaleString('en-US')}-message chat → its newest message visible (${RUNS} runs per profile, interleaved; fresh parley-app process each)`,
        columns: ['profile', 'n', 'click → newest visible ms (median)', 'range', 'click → every picture in view decoded ms (median)', 'rendered: messages / files / pictures', 'store file'],
        rows,
        notes: [
          `The chat view renders the newest 100 messages (messages.list with one reactions query for the page); files show name, size and Save/Open at once, and pictures are decoded from a blob: URL as they come into view (attachments.preview reads this device's encrypted copy, checks the bytes are a picture and sends them base64 over the bridge).`,
          `With files the median is ${ms(med(profiles[0]!))} ms against ${ms(med(profiles[1]!))} ms for the same chat without files.`,
        ],
      }],
      anchors: [`Opening a ${MESSAGES.toLocaleString('en-US')}-message chat: ${ms(med(profiles[0]!))} ms with files (about a third of the messages) vs ${ms(med(profiles[1]!))} ms without (median click → newest message visible).`],
      method: [`Chat open: two profiles signed in with loginNewDevice, ${MESSAGES.toLocaleString('en-US')} messages seeded into one 1:1 chat through LocalStore.bulk; with files, four files (a 640×360 PNG, a 180 kB PDF, a spreadsheet, a document) really encrypted and uploaded through Messenger.attachments.upload and referenced by ${Math.round(WITH_FILES * 100)}% of the messages. Each run spawns parley-app --browser-shell, opens it in a fresh Chromium context (viewport ${VIEWPORT.width}×${VIEWPORT.height}), waits for the conversation list, then times the click on the chat until its newest message is visible, and until every picture in view has decoded. One untimed warm-up run.`],
    };
  } finally {
    await browser?.close().catch(() => undefined);
    for (const c of children) await stopApp(c);
    await server?.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}
