// Section 3: the client's encrypted local store (SQLCipher through electron/store/local-store.ts),
// and its anchor: the very same LocalStore code and library on a database opened without PRAGMA key.
import Database from '@signalapp/sqlcipher';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, STORE_FILE, type StoredMessage } from '../../electron/core/store/local-store.ts';
import { FileVault } from '../../electron/core/store/vault.ts';
import { ms, now, prng, ratio, summarize, us, type SectionResult, type Summary, type Table } from './stats.ts';

const MESSAGES = 100_000;
const CONVERSATIONS = 100;
const BATCH = 1_000;
const QUERY_WARMUP = 200;
const QUERIES = 3_000;
const LIMIT = 50;
const OPENS = 20;
/** Insert rounds per variant, interleaved across variants; the median round is reported. */
const ROUNDS = 3;
const PLAIN_FILE = 'plain.db';

const WORDS = ('the a meeting report budget please review draft slides tomorrow friday deploy server client ' +
  'release notes customer call agenda thanks ok sure lunch quarterly numbers update ticket fixed merged branch ' +
  'security audit keys rotate vacation schedule hiring onboarding laptop password reset').split(' ');

type Row = Omit<StoredMessage, 'seq'>;

const convId = (c: number) => `dm_bench_${String(c).padStart(3, '0')}`;

/** 100k deterministic rows: random conversation, 16-byte base64url ids, 3–40 word bodies. */
function makeRows(): Row[] {
  const rnd = prng(0x5eed);
  const rows: Row[] = [];
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < MESSAGES; i++) {
    const conv = Math.floor(rnd() * CONVERSATIONS);
    const idBytes = Buffer.alloc(16);
    for (let b = 0; b < 16; b++) idBytes[b] = Math.floor(rnd() * 256);
    const words: string[] = [];
    const nWords = 3 + Math.floor(rnd() * 38);
    for (let w = 0; w < nWords; w++) words.push(WORDS[Math.floor(rnd() * WORDS.length)]!);
    const incoming = rnd() < 0.5;
    rows.push({
      id: idBytes.toString('base64url'), conversationId: convId(conv),
      senderUserId: incoming ? `u_peer${String(conv).padStart(20, '0')}` : 'u_benchself00000000000000', senderDeviceId: 1,
      direction: incoming ? 'in' : 'out', body: words.join(' '), sentAt: t0 + i * 1000, receivedAt: t0 + i * 1000 + 150,
      status: incoming ? 'received' : 'sent',
    });
  }
  return rows;
}

/** The pragmas LocalStore.openWithKey sets after the key; the anchor uses the same ones. */
const PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL', 'busy_timeout = 10000', 'foreign_keys = ON', 'secure_delete = ON'];

/**
 * A LocalStore over a database this file opens itself: without `PRAGMA key` for the plain-SQLite anchor,
 * and optionally without statement caching for the breakdown table. Uses LocalStore's private constructor
 * and migrate() so that inserts and queries run exactly the same code as the real store; only the way
 * the database was opened differs. (LocalStore.openWithKey opens with the statement cache on, the default here.)
 */
function openVariant(path: string, opts: { key?: Uint8Array; cacheStatements?: boolean }): LocalStore {
  const db = new Database(path, { cacheStatements: opts.cacheStatements ?? true });
  if (opts.key) db.pragma(`key = "x'${Buffer.from(opts.key).toString('hex')}'"`);
  db.prepare('SELECT count(*) FROM sqlite_master').get();
  for (const p of PRAGMAS) db.pragma(p);
  const Ctor = LocalStore as unknown as new (db: Database, path: string) => LocalStore;
  const store = new Ctor(db, path);
  const migrate = (store as unknown as { migrate?: () => void }).migrate;
  if (typeof migrate !== 'function') throw new Error('bench anchor: LocalStore internals changed (no migrate()); update tests/bench/store.ts');
  migrate.call(store);
  return store;
}

interface Variant {
  id: 'enc' | 'plain' | 'encUncached' | 'plainUncached';
  label: string;
  file: string;
  open(dir: string): Promise<LocalStore>;
  /** Also time reopening (only for the two configurations the report is about). */
  reopen: boolean;
}

interface Run {
  insertTotals: number[];
  batches: number[];
  query: number[];
  open: number[];
  firstQuery: number[];
  /** First call right after open, then 5 more. */
  countMs: number[];
  bytes: number;
}

function dirBytes(dir: string, prefix: string): number {
  return readdirSync(dir).filter((f) => f.startsWith(prefix)).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** Inserts all rows into a fresh store in `dir`; returns the total and per-transaction times. Leaves it closed. */
async function insertAll(v: Variant, dir: string, rows: Row[]): Promise<{ total: number; batches: number[] }> {
  const store = await v.open(dir);
  try {
    for (let c = 0; c < CONVERSATIONS; c++) {
      store.ensureConversation({ id: convId(c), kind: 'direct', peerUserId: `u_peer${String(c).padStart(20, '0')}`, title: `Peer ${c}` }, 1);
    }
    const batches: number[] = [];
    const tIns = now();
    for (let b = 0; b < MESSAGES; b += BATCH) {
      const t0 = now();
      store.bulk(() => {
        for (let i = b; i < b + BATCH; i++) {
          if (!store.addMessage(rows[i]!)) throw new Error(`duplicate row ${i}`);
        }
      });
      batches.push(now() - t0);
    }
    return { total: now() - tIns, batches };
  } finally {
    store.close();
  }
}

/** Queries, full count and (optionally) reopen timings on the store left in `dir`. */
async function readAll(v: Variant, dir: string): Promise<Pick<Run, 'query' | 'open' | 'firstQuery' | 'countMs' | 'bytes'>> {
  let store = await v.open(dir);
  // The first full count right after open reads (and, for SQLCipher, decrypts) the whole index from disk.
  const countMs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const tc = now();
    const count = store.countMessages();
    countMs.push(now() - tc);
    if (count !== MESSAGES) throw new Error(`${v.label}: expected ${MESSAGES} messages, found ${count}`);
  }
  const rnd = prng(42);
  const query: number[] = [];
  for (let i = 0; i < QUERY_WARMUP + QUERIES; i++) {
    const c = convId(Math.floor(rnd() * CONVERSATIONS));
    const t0 = now();
    const got = store.messages(c, LIMIT);
    const dt = now() - t0;
    if (got.length !== LIMIT) throw new Error(`${v.label}: ${c} returned ${got.length} messages`);
    if (i >= QUERY_WARMUP) query.push(dt);
  }
  store.close();
  const bytes = dirBytes(dir, v.file);
  const openTimes: number[] = [];
  const firstQuery: number[] = [];
  if (v.reopen) {
    for (let i = 0; i < OPENS + 2; i++) {
      const t0 = now();
      store = await v.open(dir);
      const t1 = now();
      store.messages(convId(i % CONVERSATIONS), LIMIT);
      const t2 = now();
      store.close();
      if (i >= 2) { openTimes.push(t1 - t0); firstQuery.push(t2 - t1); }
    }
  }
  return { query, open: openTimes, firstQuery, countMs, bytes };
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const dist = (label: string, s: Summary, f: (v: number) => string = ms): string[] => [label, String(s.n), f(s.mean), f(s.p50), f(s.p99)];
const median = (xs: number[]) => summarize(xs).p50;
const secs = (x: number) => (x / 1000).toFixed(2);
const spread = (xs: number[]) => `${secs(Math.min(...xs))}–${secs(Math.max(...xs))}`;
const signedUs = (x: number) => `${x >= 0 ? '+' : '−'}${us(Math.abs(x))}`;

export async function runStore(log: (line: string) => void = () => {}): Promise<SectionResult> {
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-store-'));
  try {
    const rows = makeRows();
    const rawKey = new Uint8Array(randomBytes(32));
    const variants: Variant[] = [
      { id: 'enc', label: 'SQLCipher (LocalStore.open)', file: STORE_FILE, reopen: true,
        open: (dir) => LocalStore.open(dir, new FileVault(join(dir, 'vault'))) },
      { id: 'plain', label: 'plain SQLite', file: PLAIN_FILE, reopen: true,
        open: async (dir) => { mkdirSync(dir, { recursive: true }); return openVariant(join(dir, PLAIN_FILE), {}); } },
      { id: 'encUncached', label: 'SQLCipher, statements prepared on every call', file: PLAIN_FILE, reopen: false,
        open: async (dir) => { mkdirSync(dir, { recursive: true }); return openVariant(join(dir, PLAIN_FILE), { key: rawKey, cacheStatements: false }); } },
      { id: 'plainUncached', label: 'plain SQLite, statements prepared on every call', file: PLAIN_FILE, reopen: false,
        open: async (dir) => { mkdirSync(dir, { recursive: true }); return openVariant(join(dir, PLAIN_FILE), { cacheStatements: false }); } },
    ];
    const inserts = new Map<Variant['id'], { totals: number[]; batches: number[] }>(variants.map((v) => [v.id, { totals: [], batches: [] }]));
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so no configuration always runs first (cold JIT) or last.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const v of order) {
        const dir = join(root, `${v.id}-${round}`);
        const r = await insertAll(v, dir, rows);
        const acc = inserts.get(v.id)!;
        acc.totals.push(r.total);
        acc.batches.push(...r.batches);
        log(`store: round ${round + 1}/${ROUNDS}: ${v.label}: ${MESSAGES} rows in ${secs(r.total)} s`);
        if (round < ROUNDS - 1) rmSync(dir, { recursive: true, force: true });
      }
    }
    const runs = new Map<Variant['id'], Run>();
    for (const v of variants) {
      log(`store: reads on ${v.label}`);
      const reads = await readAll(v, join(root, `${v.id}-${ROUNDS - 1}`));
      const ins = inserts.get(v.id)!;
      runs.set(v.id, { insertTotals: ins.totals, batches: ins.batches, ...reads });
    }
    const enc = runs.get('enc')!;
    const plain = runs.get('plain')!;
    const encUncached = runs.get('encUncached')!;
    const plainUncached = runs.get('plainUncached')!;
    const total = (r: Run) => median(r.insertTotals);
    const perMsg = (r: Run) => total(r) / MESSAGES;

    const E = { b: summarize(enc.batches), q: summarize(enc.query), o: summarize(enc.open), f: summarize(enc.firstQuery) };
    const P = { b: summarize(plain.batches), q: summarize(plain.query), o: summarize(plain.open), f: summarize(plain.firstQuery) };
    const insertRow = (label: string, r: Run, b: Summary, size: boolean) => [
      label, secs(total(r)), spread(r.insertTotals), us(perMsg(r)), (MESSAGES / total(r) * 1000).toFixed(0), ms(b.p50), ms(b.p99),
      ...(size ? [mb(r.bytes)] : []),
    ];
    const insert: Table = {
      title: `Insert ${MESSAGES.toLocaleString('en-US')} messages (${CONVERSATIONS} conversations, ${BATCH} per bulk() transaction)`,
      columns: ['', 'total s (median)', `range of ${ROUNDS} rounds`, 'per message µs', 'messages/s', 'transaction p50 ms', 'transaction p99 ms', 'file size'],
      rows: [
        insertRow('**SQLCipher (LocalStore)**', enc, E.b, true),
        insertRow('_anchor_: plain SQLite, same LocalStore code, no key', plain, P.b, true),
      ],
      notes: [`Encryption cost on insert as shipped: ${ratio(total(enc), total(plain))} the plain time (${signedUs(perMsg(enc) - perMsg(plain))} µs per message). See the breakdown below for why this is small.`],
    };
    const cols = ['', 'n', 'mean ms', 'p50 ms', 'p99 ms'];
    const reads: Table = {
      title: `Read with ${MESSAGES.toLocaleString('en-US')} messages present`,
      columns: cols,
      rows: [
        dist(`**SQLCipher: latest ${LIMIT} messages of a conversation**`, E.q),
        dist(`_anchor_ plain: latest ${LIMIT} messages of a conversation`, P.q),
        dist('**SQLCipher: open (vault key + PRAGMA key + first read + pragmas + migration check)**', E.o),
        dist('_anchor_ plain: open (no key; same first read, pragmas, migration check)', P.o),
        dist(`SQLCipher: first latest-${LIMIT} query right after open`, E.f),
        dist(`_anchor_ plain: first latest-${LIMIT} query right after open`, P.f),
        ['SQLCipher: countMessages(), first call after the first reopen following the insert', '1', ms(enc.countMs[0]!), '', ''],
        ['_anchor_ plain: countMessages(), first call after the first reopen following the insert', '1', ms(plain.countMs[0]!), '', ''],
        dist('SQLCipher: countMessages(), next calls', summarize(enc.countMs.slice(1))),
        dist('_anchor_ plain: countMessages(), next calls', summarize(plain.countMs.slice(1))),
      ],
    };
    const EC = { b: summarize(encUncached.batches), q: summarize(encUncached.query) };
    const PC = { b: summarize(plainUncached.batches), q: summarize(plainUncached.query) };
    const bdRow = (label: string, r: Run, q: Summary) => [label, secs(total(r)), spread(r.insertTotals), us(perMsg(r)), ms(q.p50), ms(q.p99)];
    const breakdown: Table = {
      title: 'Where the insert time goes: the same LocalStore code with the statement cache off (how Parley ran before it was turned on)',
      columns: ['', 'insert total s (median)', `range of ${ROUNDS} rounds`, 'per message µs', `latest ${LIMIT} p50 ms`, `latest ${LIMIT} p99 ms`],
      rows: [
        bdRow('SQLCipher as shipped (`new Database(path, { cacheStatements: true })`)', enc, E.q),
        bdRow('_anchor_ plain SQLite, statement cache on', plain, P.q),
        bdRow('variant: SQLCipher, `cacheStatements: false` (statements prepared on every call)', encUncached, EC.q),
        bdRow('_anchor_ plain SQLite, `cacheStatements: false`', plainUncached, PC.q),
      ],
      notes: [
        `LocalStore opens its database with the library's statement cache on (\`cacheStatements: true\`), so addMessage does not prepare its three statements anew each time. With the cache off, the SQLCipher insert takes ${secs(total(encUncached))} s instead of ${secs(total(enc))} s (plain: ${secs(total(plainUncached))} s instead of ${secs(total(plain))} s).`,
      ],
    };
    return {
      tables: [insert, reads, breakdown],
      anchors: [
        `Store insert: SQLCipher ${secs(total(enc))} s vs plain SQLite ${secs(total(plain))} s for ${MESSAGES.toLocaleString('en-US')} messages (${ratio(total(enc), total(plain))}), both through LocalStore.addMessage and the same @signalapp/sqlcipher build; medians of ${ROUNDS} interleaved rounds.`,
        `Store insert with the statement cache off (a variant of the same code): SQLCipher ${secs(total(encUncached))} s vs plain ${secs(total(plainUncached))} s (${ratio(total(encUncached), total(plainUncached))}); with it on (as shipped) encryption costs about ${us(perMsg(enc) - perMsg(plain))} µs per message, while preparing statements on every call would cost about ${us(perMsg(encUncached) - perMsg(enc))} µs.`,
        `Store read: latest ${LIMIT} messages p50 ${ms(E.q.p50)} ms encrypted vs ${ms(P.q.p50)} ms plain (${ratio(E.q.p50, P.q.p50)}); open p50 ${ms(E.o.p50)} ms vs ${ms(P.o.p50)} ms.`,
      ],
      method: [
        `Store: ${MESSAGES.toLocaleString('en-US')} deterministic rows (PRNG-seeded; random conversation out of ${CONVERSATIONS}, 16-byte random ids, 3–40 word bodies), inserted through LocalStore.addMessage (which looks up the next seq, inserts, and updates the conversation) in ${MESSAGES / BATCH} bulk() transactions of ${BATCH}, into a fresh store. The whole insert loop is timed, and each transaction separately. Every configuration is inserted ${ROUNDS} times, interleaved and in rotating order (so noise from other load and JIT warm-up is spread evenly); the median total is reported with the range, transaction percentiles are over all rounds. On the last round's store: ${QUERY_WARMUP} warm-up and ${QUERIES} timed messages(conversation, ${LIMIT}) calls on random conversations (before them, countMessages() 6 times, the first being the first statement after open); then (SQLCipher and its plain anchor only) the store is closed and reopened ${OPENS} times (2 more untimed first): LocalStore.open (FileVault key read, PRAGMA key with a raw 32-byte key so no KDF runs, first read, pragmas, migration check) is timed, then the first query after it. The OS file cache is warm (the files were just written), so these are warm-cache opens. File size is the database plus its WAL after close.`,
        `Store anchor: the same rows, the same LocalStore methods and the same library, on a database opened without PRAGMA key (LocalStore's private constructor is used so the SQL is identical), with the same pragmas (${PRAGMAS.join(', ')}). The breakdown rows run the same code once more on databases opened with the library's statement cache off (keyed with a random raw key, and plain).`,
      ],
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
