// Section 5: remote wipe at launch. The real server with the dev IdP runs in this process. For every run a
// fresh bob device is signed in for real (loginNewDevice), its store is seeded through LocalStore.bulk and
// closed; carol (an org admin in the dev IdP) requests the wipe through the admin API; then the launch
// sequence `prepareLaunch(profile, defaultVault(profile), { afterStep })` is timed from call to return,
// with the time at which each wipe step completed.
// Anchor: the very same with an empty store (signed in, nothing seeded), interleaved in the same run.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareLaunch, WIPE_STEPS, type WipeStep } from '../../electron/core/lifecycle/lifecycle.ts';
import { defaultVault, loginNewDevice, type Messenger } from '../../electron/core/messenger.ts';
import { directConversationId } from '../../electron/core/payload.ts';
import { STORE_FILE, type StoredMessage } from '../../electron/core/store/local-store.ts';
import { startServer, type RunningServer } from '../../server/app.ts';
import { NetworkError } from '../../electron/core/net/api.ts';
import { ms, now, prng, summarize, type SectionResult, type Table } from './stats.ts';
import { messageText } from './corpus.ts';

const RUNS = 5;
const MESSAGES = 100_000;
const CONVERSATIONS = 100;
const BATCH = 1_000;
const GOAL_MS = 200;
const BOB = 'bob@acme.test';
const DAY = 86_400_000;

// ---- seeding (same shape and LocalStore calls as tests/bench/ui.ts) ----

/** 100 conversations with contacts, `total` messages spread over them and over the past year. */
function seed(m: Messenger, total: number): void {
  const store = m['store']; // seeding writes rows straight into the (private) store: no public API for 100k messages
  const me = m.me;
  const r = prng(0x5a1e + total);
  const peers = Array.from({ length: CONVERSATIONS }, (_, c) => {
    const userId = `u_${randomBytes(16).toString('base64url')}`;
    return { userId, email: `colleague${c}@acme.test`, name: `Colleague ${c}`, conversationId: directConversationId(me.userId, userId) };
  });
  const end = Date.now() - 5 * 60_000;
  const step = (365 * DAY) / total;
  const first = end - 365 * DAY;
  store.bulk(() => {
    for (const p of peers) {
      store.upsertContact({ userId: p.userId, email: p.email, name: p.name }, first);
      store.ensureConversation({ id: p.conversationId, kind: 'direct', peerUserId: p.userId, title: p.name }, first);
    }
  });
  for (let b = 0; b < total; b += BATCH) {
    store.bulk(() => {
      for (let i = b; i < Math.min(total, b + BATCH); i++) {
        const peer = peers[Math.floor(r() * CONVERSATIONS)]!;
        const incoming = r() < 0.55;
        const sentAt = Math.round(end - (total - i) * step);
        const row: Omit<StoredMessage, 'seq'> = {
          id: randomBytes(16).toString('base64url'), conversationId: peer.conversationId,
          senderUserId: incoming ? peer.userId : me.userId, senderDeviceId: incoming ? 1 : me.deviceId,
          direction: incoming ? 'in' : 'out', body: messageText(r), sentAt, receivedAt: sentAt + 80 + Math.floor(r() * 900),
          status: incoming ? 'received' : 'delivered',
        };
        if (!store.addMessage(row)) throw new Error(`duplicate message ${i}`);
      }
    });
  }
  const n = store.countMessages();
  if (n !== total) throw new Error(`seeded ${n} messages, expected ${total}`);
}

/** A lost laptop's store has long been on disk: flush the freshly seeded one (untimed) so its writeback is not charged to the wipe. */
function flushProfile(dir: string): void {
  for (const f of readdirSync(dir)) {
    if (!statSync(join(dir, f)).isFile()) continue;
    const fd = openSync(join(dir, f), 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  }
  const d = openSync(dir, 'r');
  try { fsyncSync(d); } finally { closeSync(d); }
}

function storeBytes(dir: string): number {
  return readdirSync(dir).filter((f) => f.startsWith(STORE_FILE)).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

// ---- one run ----

interface RunResult {
  /** ms from the call of prepareLaunch to the completion of each step. */
  steps: Partial<Record<WipeStep, number>>;
  total: number;
  bytes: number;
  seedMs: number;
}

interface Case { label: string; messages: number; runs: RunResult[] }

async function runOnce(root: string, name: string, server: RunningServer, carol: Messenger, messages: number): Promise<RunResult> {
  const dir = join(root, name);
  const t0 = now();
  const bob = await loginNewDevice(dir, server.url, { kind: 'dev-user', username: 'bob' });
  try {
    if (messages > 0) seed(bob, messages);
  } finally {
    bob.close();
  }
  const seedMs = now() - t0;
  flushProfile(dir);
  const bytes = storeBytes(dir);
  // The seed above is synchronous and blocks this process (server included) for seconds: the server's keep-alive
  // timer and the client's then fire in the same turn and carol's pooled connection may be reset as she reuses it.
  // A wipe is safe to repeat, so one retry after a network error.
  const wipe = () => carol.admin.wipe({ email: BOB, reason: 'bench: lost laptop' });
  const res = await wipe().catch((err: unknown) => { if (err instanceof NetworkError) return wipe(); throw err; });
  if (!res.devices.some((d) => d.deviceId === bob.me.deviceId)) throw new Error(`the wipe did not target bob's device ${bob.me.deviceId}`);

  const vault = defaultVault(dir);
  const steps: Partial<Record<WipeStep, number>> = {};
  const start = now();
  const decision = await prepareLaunch(dir, vault, { afterStep: (s) => { steps[s] ??= now() - start; } });
  const total = now() - start;

  if (decision.kind !== 'wiped') throw new Error(`prepareLaunch returned ${decision.kind}, expected wiped`);
  for (const s of WIPE_STEPS) if (steps[s] === undefined) throw new Error(`wipe step ${s} did not complete (got ${Object.keys(steps).join(', ')})`);
  if (existsSync(join(dir, STORE_FILE))) throw new Error('the store file survived the wipe');
  rmSync(dir, { recursive: true, force: true });
  return { steps, total, bytes, seedMs };
}

// ---- the section ----

const mb = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MB`;
const med = (xs: number[]) => summarize(xs).p50;
const cell = (xs: number[]) => {
  const s = summarize(xs);
  return [ms(s.p50), `${ms(s.min)}–${ms(s.max)}`];
};

export async function runWipeLaunch(log: (line: string) => void = () => {}): Promise<SectionResult> {
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-wipe-'));
  let server: RunningServer | undefined;
  let carol: Messenger | undefined;
  try {
    server = await startServer({ dataDir: join(root, 'server'), port: 0, host: '127.0.0.1', devIdp: true, logger: false });
    carol = await loginNewDevice(join(root, 'carol'), server.url, { kind: 'dev-user', username: 'carol' });
    const empty: Case = { label: 'empty store (signed in, 0 messages)', messages: 0, runs: [] };
    const big: Case = { label: `${MESSAGES.toLocaleString('en-US')} messages`, messages: MESSAGES, runs: [] };

    // Warm-up (untimed): the first sign-in, status check, wipe and receipt compile and warm every path.
    await runOnce(root, 'warmup', server, carol, 0);
    for (let run = 0; run < RUNS; run++) {
      for (const c of [empty, big]) {
        const r = await runOnce(root, `run${run}-${c.messages}`, server, carol, c.messages);
        c.runs.push(r);
        log(`wipe: run ${run + 1}/${RUNS} ${c.label} (${mb(r.bytes)}, seeded in ${(r.seedMs / 1000).toFixed(1)} s): ` +
          `key-destroyed ${ms(r.steps['key-destroyed']!)} ms, files-deleted ${ms(r.steps['files-deleted']!)} ms, ` +
          `receipt-sent ${ms(r.steps['receipt-sent']!)} ms, total ${ms(r.total)} ms`);
      }
    }
    // The server's view: every bob device that was wiped confirmed it.
    const users = await carol.admin.users(BOB);
    const states = users.users.flatMap((u) => u.devices.map((d) => d.state));
    if (states.some((s) => s !== 'wiped')) throw new Error(`bob's devices on the server: ${states.join(', ')} (expected all wiped)`);

    const cases = [big, empty];
    const label = (c: Case) => (c.messages === 0 ? `_anchor_: ${c.label}` : `**${c.label}**`);
    const step = (c: Case, s: WipeStep) => c.runs.map((r) => r.steps[s]!);
    const shred = (c: Case) => step(c, 'key-destroyed');
    const bigShred = summarize(shred(big));
    const met = shred(big).filter((t) => t < GOAL_MS).length;
    const goal = met === RUNS
      ? `met: every run under ${GOAL_MS} ms (median ${ms(bigShred.p50)}, max ${ms(bigShred.max)} ms)`
      : `NOT met in ${RUNS - met} of ${RUNS} runs (median ${ms(bigShred.p50)}, max ${ms(bigShred.max)} ms)`;
    const spread = (xs: number[]) => { const v = summarize(xs); return v.max - v.min; };
    const diff = (xs: number[], ys: number[]) => { const d = med(xs) - med(ys); return `${d >= 0 ? '+' : '−'}${ms(Math.abs(d))}`; };

    const tables: Table[] = [
      {
        title: `Launch of a device with a pending remote wipe: \`prepareLaunch\` call → each step (${RUNS} runs per store, interleaved)`,
        columns: ['store', 'n', 'store size (db + WAL)', 'call → key-destroyed (crypto-shred) ms, median', 'range',
          'call → files-deleted', 'range', 'call → receipt-sent', 'range', 'call → return (wiped) ms, median', 'range'],
        rows: cases.map((c) => [label(c), String(c.runs.length), mb(med(c.runs.map((r) => r.bytes))),
          ...cell(shred(c)), ...cell(step(c, 'files-deleted')), ...cell(step(c, 'receipt-sent')), ...cell(c.runs.map((r) => r.total))]),
        notes: [
          `Goal of the issue, crypto-shred in < ${GOAL_MS} ms with a ${MESSAGES.toLocaleString('en-US')}-message store: ${goal}.`,
          `"Call → key-destroyed" covers everything before the shred: reading profile.json, the signed status check \`POST /v1/lifecycle/status\` (answered "wipe"), writing the WIPE-PENDING marker (fsync of file and folder), then deleting the store key from the vault (none of these steps reads or writes the store); median ${diff(shred(big), shred(empty))} ms against the empty store, whose own runs spread over ${ms(spread(shred(empty)))} ms (max − min). ` +
            `The ${MESSAGES.toLocaleString('en-US')} messages cost their time in "files-deleted" (unlinking the store files): median ${diff(step(big, 'files-deleted'), step(empty, 'files-deleted'))} ms against the empty store, and ${diff(big.runs.map((r) => r.total), empty.runs.map((r) => r.total))} ms over the whole launch.`,
        ],
      },
      {
        title: 'Every step, median ms from the call (each step also rewrites the marker durably, with fsync)',
        columns: ['store', ...WIPE_STEPS, 'return'],
        rows: cases.map((c) => [label(c), ...WIPE_STEPS.map((s) => ms(med(step(c, s)))), ms(med(c.runs.map((r) => r.total)))]),
        notes: ['marker-written includes the status round trip; receipt-sent is the signed `POST /v1/lifecycle/wipe-receipt` (the server records the wipe as confirmed); marker-removed writes wiped.json, destroys the lifecycle key and removes profile.json and the marker.'],
      },
    ];
    const anchors = [
      `Remote wipe at launch: crypto-shred (call → key-destroyed) ${ms(med(shred(big)))} ms with ${MESSAGES.toLocaleString('en-US')} messages (${mb(med(big.runs.map((r) => r.bytes)))}) vs ${ms(med(shred(empty)))} ms with an empty store; launch-to-wiped ${ms(med(big.runs.map((r) => r.total)))} ms vs ${ms(med(empty.runs.map((r) => r.total)))} ms (medians).`,
    ];
    const method = [
      `Wipe (section 5): the server (dev IdP) runs in the bench process, so its handling of the status check and the receipt is inside the timings. carol (an org admin of the dev IdP) is signed in once with \`loginNewDevice\`; for every run a fresh bob device is signed in with \`loginNewDevice\` in a new profile folder under ${tmpdir()}, seeded through \`LocalStore.bulk\` in ${BATCH.toLocaleString('en-US')}-message transactions (${CONVERSATIONS} conversations, English work-chat texts from templates) or left empty, and closed; carol calls \`POST /v1/admin/wipe\` for ${BOB} (\`ApiClient.adminWipe\`); then \`prepareLaunch(profile, defaultVault(profile), { afterStep })\` (electron/core/lifecycle/lifecycle.ts, FileVault) is timed from call to return, \`afterStep\` recording when each step completed. After seeding, every file of the profile and the folder are fsynced (untimed), so the wipe's own fsyncs do not wait for the writeback of the freshly written store; its pages stay in the OS file cache. One untimed warm-up run (empty store) first; ${RUNS} runs per store, interleaved; ranges are min–max. Each run checks the decision is "wiped", that every step completed and that parley.db is gone; at the end every bob device is "wiped" on the server.`,
    ];
    return { tables, anchors, method };
  } finally {
    carol?.close();
    await server?.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}
