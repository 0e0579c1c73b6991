// `npm run bench [-- section ...]`: Parley's benchmarks. Prints the figures and, when every section ran,
// writes docs/benchmarks.md. Sections: protocol, latency, store, ui, wipe, groups, relay, attachments, chat-open (anchors are part of protocol, store, ui, wipe and groups).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGroups } from './groups.ts';
import { runLatency } from './latency.ts';
import { runProtocol } from './protocol.ts';
import { runRelay } from './relay.ts';
import { runRelayCluster } from './relay-cluster.ts';
import { runStore } from './store.ts';
import { runUi } from './ui.ts';
import { runChatOpen } from './chat-open.ts';
import { runWipeLaunch } from './wipe.ts';
import { runAttachments } from './attachments.ts';
import { runSearch } from './search.ts';
import { now, type Goal, type SectionResult, type Table } from './stats.ts';

interface Section {
  id: string;
  title: string;
  run: (log: (line: string) => void) => Promise<SectionResult>;
}

const SECTIONS: Section[] = [
  { id: 'protocol', title: '1. Signal protocol (crypto/signal.ts on native primitives) against libsignal-client and the pure-JS curve', run: runProtocol },
  { id: 'latency', title: '2. Send → decrypted latency over loopback (real server, dev IdP, two client devices)', run: runLatency },
  { id: 'store', title: '3. Local store (SQLCipher, electron/core/store/local-store.ts)', run: runStore },
  { id: 'ui', title: '4. Desktop UI start and chat view (real parley-app --browser-shell process, Debian Chromium via Playwright)', run: runUi },
  { id: 'wipe', title: '5. Remote wipe at launch: crypto-shred and launch-to-wiped (real server, admin API, electron/core/lifecycle/lifecycle.ts)', run: runWipeLaunch },
  { id: 'groups', title: '6. One message to groups of 10, 100 and 1,000 members: sender encrypt and server fan-out (real server, pairwise Signal fan-out)', run: runGroups },
  { id: 'relay', title: '7. Relay under load: many senders → many online receivers over real WebSockets, latency at 1,000 messages/s, 10,000 idle devices (parley-server in its own process)', run: runRelay },
  { id: 'relay-cluster', title: '8. Relay scaled out: one node on SQLite, one and two nodes on PostgreSQL + NATS (real parley-server processes, half the envelopes crossing nodes)', run: runRelayCluster },
  { id: 'search', title: '9. Message search over 1,000,000 stored messages (SQLCipher + FTS5, electron/core/search/)', run: runSearch },
  { id: 'attachments', title: '10. Attachments: encrypt + upload and download + decrypt of a 10 MiB and a 1 GiB file, peak RSS of both clients and the server (real parley-server process)', run: runAttachments },
  { id: 'chat-open', title: '11. Opening a 10,000-message chat with files (real parley-app --browser-shell process, Debian Chromium via Playwright)', run: runChatOpen },
];

const DOC = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

function markdownTable(t: Table): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const lines = [
    `| ${t.columns.map(esc).join(' | ')} |`,
    `| ${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
  return lines.join('\n');
}

function renderTable(t: Table): string {
  const notes = (t.notes ?? []).map((n) => `\n${n}`).join('\n');
  return `#### ${t.title}\n\n${markdownTable(t)}\n${notes}`;
}

function machine(): [string, string][] {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
  return [
    ['CPU', cpus[0]?.model.trim() ?? 'unknown'],
    ['Cores (os.cpus())', String(cpus.length)],
    ['Memory', `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`],
    ['Node', process.version],
    ['OS', `${os.type()} ${os.release()} (${os.platform()}/${os.arch()})`],
    ['Load average at start (1/5/15 min)', load],
  ];
}

/** Where a section run in its own process (--section-child ID) writes its SectionResult as JSON. */
const CHILD_RESULT = 'PARLEY_BENCH_SECTION_RESULT';

/**
 * Each section runs in a fresh Node process: one section's heap (a 100,000-message store, 10,000 sockets' worth
 * of garbage) made the in-process sections after it pay for its garbage collection, and their figures depended
 * on what ran first. Its log lines go straight to this terminal; its result comes back as JSON.
 */
async function runIsolated(section: Section): Promise<SectionResult> {
  const dir = mkdtempSync(join(os.tmpdir(), 'parley-bench-section-'));
  const out = join(dir, 'result.json');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--section-child', section.id], {
        stdio: 'inherit', env: { ...process.env, [CHILD_RESULT]: out },
      });
      child.on('error', reject);
      child.on('exit', (c, signal) => resolve(signal ? null : c));
    });
    if (code !== 0) throw new Error(`bench section ${section.id} failed (exit ${code ?? 'by signal'})`);
    return JSON.parse(readFileSync(out, 'utf8')) as SectionResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The child's side of runIsolated. */
async function sectionChild(id: string): Promise<number> {
  const section = SECTIONS.find((s) => s.id === id);
  const out = process.env[CHILD_RESULT];
  if (!section || !out) { console.error(`--section-child: unknown section ${id} or no ${CHILD_RESULT}`); return 2; }
  const result = await section.run((line) => console.log(`   ${line}`));
  writeFileSync(out, JSON.stringify(result));
  // A handle a section left open must not keep its process (and the run) waiting: its result is in.
  process.exit(0);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args[0] === '--section-child') return sectionChild(args[1] ?? '');
  const unknown = args.filter((a) => !SECTIONS.some((s) => s.id === a));
  if (unknown.length > 0) {
    console.error(`unknown section: ${unknown.join(', ')}; sections are ${SECTIONS.map((s) => s.id).join(', ')} (none = all)`);
    return 2;
  }
  const chosen = args.length === 0 ? SECTIONS : SECTIONS.filter((s) => args.includes(s.id));
  const started = new Date();
  const info = machine();
  console.log('Parley benchmarks');
  for (const [k, v] of info) console.log(`  ${k}: ${v}`);
  console.log('');

  const t0 = now();
  const results: { section: Section; result: SectionResult; seconds: number }[] = [];
  for (const section of chosen) {
    console.log(`== ${section.title}`);
    const ts = now();
    const result = await runIsolated(section);
    const seconds = (now() - ts) / 1000;
    results.push({ section, result, seconds });
    for (const t of result.tables) console.log(`\n${renderTable(t)}`);
    console.log(`\n(${section.id}: ${seconds.toFixed(1)} s)\n`);
  }
  const total = (now() - t0) / 1000;
  const anchors = results.flatMap((r) => r.result.anchors);
  const goals = results.flatMap((r) => r.result.goals ?? []);
  const goalTable = (g: Goal[]): Table => ({
    title: '',
    columns: ['goal', 'measured in this run', 'verdict'],
    rows: g.map((x) => [x.goal, x.measured, x.met ? 'met' : '**missed**']),
  });
  if (goals.length > 0) {
    console.log('== Goals');
    console.log(markdownTable(goalTable(goals)));
    console.log('');
  }
  const anchorsTitle = `${SECTIONS.length + 1}. Anchors`;
  if (anchors.length > 0) {
    console.log(`== ${anchorsTitle}`);
    for (const a of anchors) console.log(`- ${a}`);
    console.log('');
  }
  const loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
  console.log(`total: ${total.toFixed(1)} s; load average at end ${loadEnd}`);

  if (chosen.length !== SECTIONS.length) {
    console.log(`docs/benchmarks.md NOT written: only ${chosen.map((s) => s.id).join(', ')} ran (run \`npm run bench\` with no arguments to regenerate it).`);
    return 0;
  }
  const md = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (tests/bench/run.ts) on ${started.toISOString()}; do not edit by hand, run it again.`,
    `The whole run took ${total.toFixed(0)} s.`,
    '',
    '## Machine',
    '',
    markdownTable({ title: '', columns: ['', ''], rows: [...info, ['Load average at end (1/5/15 min)', loadEnd]] }),
    '',
    'The load average is shown because other work on the machine (e.g. a test suite) inflates the figures, mostly the p99s.',
    '',
    '## Goals (this 2-core machine)',
    '',
    `${goals.filter((g) => g.met).length} of ${goals.length} met in this run. Each section below shows how its figure was measured.`,
    '',
    markdownTable(goalTable(goals)),
    '',
    ...results.flatMap(({ section, result, seconds }) => [
      `## ${section.title}`,
      '',
      ...result.tables.map((t) => `${renderTable(t)}\n`),
      `_Section time: ${seconds.toFixed(1)} s._`,
      '',
    ]),
    `## ${anchorsTitle}`,
    '',
    'Anchors are not Parley features: they are the same work done the plainest way, measured in the same run, so the figures above can be read against them.',
    '',
    ...anchors.map((a) => `- ${a}`),
    '',
    '## Method',
    '',
    '- Each section runs in a fresh Node process of its own (tests/bench/run.ts), so what one leaves in the heap does not slow the next. Timing with `performance.now()` around each operation; all figures in milliseconds unless marked. Distributions give mean, p50 and p99 (nearest rank). Every timed loop is preceded by untimed warm-up iterations. Garbage-collection pauses are not excluded: they are part of what a user sees, and they account for much of the p99s.',
    ...results.flatMap((r) => r.result.method.map((m) => `- ${m}`)),
    '',
  ].join('\n');
  writeFileSync(DOC, md);
  console.log(`wrote ${DOC}`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exitCode = 1;
});
