// Section 9: message search (electron/core/search/) on a real SQLCipher store of 1,000,000 messages, with
// the real migrations (FTS5 index and its triggers), the real MessageSearch code (query quoting, highlight
// ranges) and its anchor: the same questions answered by a LIKE scan of the same table.
//
// The rows are made fast: deterministic text from a Zipf-distributed vocabulary, inserted by one prepared
// statement in transactions of 50,000 rows (the triggers index each row as it goes in, as in real use).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, STORE_FILE } from '../../electron/core/store/local-store.ts';
import { FileVault } from '../../electron/core/store/vault.ts';
import { MessageSearch } from '../../electron/core/search/search.ts';
import type { CoreContext } from '../../electron/core/context.ts';
import { ms, now, prng, summarize, type SectionResult, type Summary } from './stats.ts';

const MESSAGES = Number(process.env.PARLEY_BENCH_SEARCH_MESSAGES ?? 1_000_000);
const CONVERSATIONS = 500;
const BATCH = 50_000;
const VOCABULARY = 30_000;
const WARMUP = 50;
const QUERIES_PER_KIND = 200;
const LIMIT = 50;
/** Generation must stay bounded: the section gives up (and says so) past this. */
const GENERATE_BUDGET_MS = 15 * 60_000;
const GOAL_P50_MS = 30;

const SYLLABLES = 'ka lo mi nu pe ra si to vu xe ba de fi go hu ja ke li mo ny'.split(' ');

/** Word i of the vocabulary: a pronounceable, unique string (base-20 syllables). */
function word(i: number): string {
  let s = '';
  let n = i + 20;
  while (n > 0) { s += SYLLABLES[n % 20]; n = Math.floor(n / 20); }
  return s;
}

/** Zipf-like sampling (s ≈ 1): rank = floor(V^u) - 1 gives P(rank) ∝ 1/rank. */
function sampler(rnd: () => number): () => number {
  return () => Math.min(VOCABULARY - 1, Math.floor(VOCABULARY ** rnd()) - 1);
}

interface Kind { label: string; queries: string[] }

async function generate(store: LocalStore, log: (line: string) => void): Promise<{ ms: number; rows: number }> {
  const rnd = prng(0x5ea7c4);
  const pick = sampler(rnd);
  const db = store.handle;
  for (let c = 0; c < CONVERSATIONS; c++) {
    store.ensureConversation({ id: `dm_s${c}`, kind: 'direct', peerUserId: `u_peer${c}`, title: `Peer ${c}` }, 1);
  }
  const insert = db.prepare(`INSERT INTO messages (id, conversation_id, sender_user_id, sender_device_id, direction, body, sent_at,
    received_at, status, seq) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`);
  const seqs = new Array<number>(CONVERSATIONS).fill(0);
  const t0 = now();
  const start = 1_700_000_000_000;
  let rows = 0;
  while (rows < MESSAGES) {
    const end = Math.min(MESSAGES, rows + BATCH);
    db.transaction(() => {
      for (let i = rows; i < end; i++) {
        const c = Math.floor(rnd() * CONVERSATIONS);
        const n = 3 + Math.floor(rnd() * 25);
        const words: string[] = [];
        for (let w = 0; w < n; w++) words.push(word(pick()));
        const incoming = rnd() < 0.5;
        insert.run([`m${i}`, `dm_s${c}`, incoming ? `u_peer${c}` : 'u_me', incoming ? 'in' : 'out', words.join(' '),
          start + i * 1000, start + i * 1000 + 150, incoming ? 'received' : 'sent', ++seqs[c]!]);
      }
    })();
    rows = end;
    if (rows % 200_000 === 0 || rows === MESSAGES) log(`  ${rows.toLocaleString('en-US')} messages stored (${((now() - t0) / 1000).toFixed(1)} s)`);
    if (now() - t0 > GENERATE_BUDGET_MS) throw new Error(`generating ${MESSAGES} messages took over ${GENERATE_BUDGET_MS / 60_000} minutes; stopped`);
  }
  return { ms: now() - t0, rows };
}

function queries(): Kind[] {
  const rnd = prng(0x9e11);
  const at = (lo: number, hi: number) => word(lo + Math.floor(rnd() * (hi - lo)));
  const many = (f: () => string) => Array.from({ length: QUERIES_PER_KIND + WARMUP }, f);
  return [
    { label: 'common word (top 10 ranks: in ~30% of messages)', queries: many(() => at(0, 10)) },
    { label: 'mid-frequency word (ranks 100–1,000)', queries: many(() => at(100, 1000)) },
    { label: 'rare word (ranks 10,000–30,000)', queries: many(() => at(10_000, VOCABULARY)) },
    { label: 'two words (common + mid)', queries: many(() => `${at(0, 10)} ${at(100, 1000)}`) },
    { label: 'prefix as typed (first 3 letters of a mid word)', queries: many(() => at(100, 1000).slice(0, 3)) },
    { label: 'no match', queries: many(() => `zz${at(0, 1000)}qq`) },
  ];
}

export async function runSearch(log: (line: string) => void): Promise<SectionResult> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-search-'));
  try {
    const vault = new FileVault(join(dir, 'vault'));
    let store = await LocalStore.open(dir, vault);
    log(`generating ${MESSAGES.toLocaleString('en-US')} messages (real SQLCipher store, FTS5 triggers on)…`);
    // A big page cache while generating only (FTS5 merges its segments through it); the queries below run on
    // the store opened again as the app opens it.
    store.handle.pragma('cache_size = -262144');
    let gen: { ms: number; rows: number };
    try { gen = await generate(store, log); } finally { store.close(); }
    store = await LocalStore.open(dir, vault);
    try {
      const size = statSync(join(dir, STORE_FILE)).size + statSync(join(dir, `${STORE_FILE}-wal`), { throwIfNoEntry: false })!.size;
      const search = new MessageSearch({ store } as unknown as CoreContext);
      const rows: string[][] = [];
      const all: number[] = [];
      let hits = 0;
      for (const kind of queries()) {
        const times: number[] = [];
        kind.queries.forEach((q, i) => {
          const t = now();
          const found = search.search(q, { limit: LIMIT });
          const dt = now() - t;
          if (i >= WARMUP) { times.push(dt); all.push(dt); hits += found.length; }
        });
        const s: Summary = summarize(times);
        rows.push([kind.label, String(s.n), ms(s.p50), ms(s.p99), ms(s.max)]);
        log(`  ${kind.label}: p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms`);
      }
      const total = summarize(all);
      rows.push(['all kinds together', String(total.n), ms(total.p50), ms(total.p99), ms(total.max)]);

      // Anchor: the same question without the index (a LIKE scan reads and decrypts the pages until it has the hits).
      const scan = store.handle.prepare("SELECT id FROM messages WHERE body LIKE ? ORDER BY rowid DESC LIMIT ?");
      const likeTimes: number[] = [];
      for (const q of queries()[2]!.queries.slice(0, 5)) {
        const t = now();
        scan.all([`%${q}%`, LIMIT]);
        likeTimes.push(now() - t);
      }
      const like = summarize(likeTimes);
      const rareFts = summarize(all.slice(2 * QUERIES_PER_KIND, 3 * QUERIES_PER_KIND));
      return {
        tables: [{
          title: `Search over ${gen.rows.toLocaleString('en-US')} stored messages (MessageSearch.search, limit ${LIMIT}, newest first, with highlight ranges)`,
          columns: ['query', 'n', 'p50 ms', 'p99 ms', 'max ms'],
          rows,
          notes: [
            `Store: ${(size / 1024 ** 2).toFixed(0)} MiB (SQLCipher, messages + FTS5 index); ${gen.rows.toLocaleString('en-US')} rows generated and indexed in ${(gen.ms / 1000).toFixed(1)} s ` +
              `(${Math.round(gen.rows / (gen.ms / 1000)).toLocaleString('en-US')} rows/s, transactions of ${BATCH.toLocaleString('en-US')}).`,
            `${hits.toLocaleString('en-US')} hits returned in total. Bodies: 3–27 words from a ${VOCABULARY.toLocaleString('en-US')}-word Zipf vocabulary.`,
          ],
        }],
        goals: [{ goal: `Search p50 < ${GOAL_P50_MS} ms on 1,000,000 messages`, measured: `p50 ${ms(total.p50)} ms, p99 ${ms(total.p99)} ms (${gen.rows.toLocaleString('en-US')} messages)`, met: total.p50 < GOAL_P50_MS && gen.rows >= 1_000_000 }],
        anchors: [`Search without the index (LIKE '%word%' scan of the same ${gen.rows.toLocaleString('en-US')} rows, rare words, n=5): p50 ${ms(like.p50)} ms vs FTS5 p50 ${ms(rareFts.p50)} ms.`],
        method: [
          `Search: the store is closed after generation and opened again as the app opens it (LocalStore.open, default page cache); ${WARMUP} warm-up queries per kind, then ${QUERIES_PER_KIND} timed; each timing is one MessageSearch.search call (quoting, FTS5 MATCH, join to messages, matched ranges).`,
        ],
      };
    } finally { store.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runSearch(console.log);
  for (const t of r.tables) { console.log(t.title); for (const row of t.rows) console.log(`  ${row.join(' | ')}`); for (const n of t.notes ?? []) console.log(n); }
  console.log(r.goals, r.anchors);
}
