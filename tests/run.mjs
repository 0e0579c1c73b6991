#!/usr/bin/env node
// Runs every tests/**/*.test.ts with Node's own test runner (Node 20 has no --test globs).
// Usage: node tests/run.mjs [substring-filter ...]
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compile, staleReason } from '../build/cli/compile.mjs';
import { missingSystemPackages } from './system-check.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
const found = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'node_modules' && name !== 'fixtures') walk(p); }
    else if (name.endsWith('.test.ts')) found.push(relative(root, p));
  }
})(join(root, 'tests'));
// Longest first: the files run two at a time, and one long file started late (the 100-message CLI test
// alone takes a third of the run) leaves the other slot idle at the end. Order by the last whole run's
// timings when there are some, else by the files measured slowest so far.
const LONGEST = ['tests/e2e/hundred.test.ts', 'tests/e2e/cli.test.ts', 'tests/e2e/groups-cli.test.ts', 'tests/e2e/wipe.test.ts',
  'tests/hostile/terminal.test.ts', 'tests/build/package.test.ts', 'tests/crypto/native-equivalence.test.ts'];
const lastTimes = new Map();
try {
  for (const line of readFileSync(join(root, 'test-results', 'node-test-timings.txt'), 'utf8').split('\n').slice(1)) {
    const m = /^\s*([\d.]+) s .*?(tests\/\S+)$/.exec(line);
    if (m) lastTimes.set(m[2], Number(m[1]));
  }
} catch { /* no earlier whole run here */ }
const weight = (f) => lastTimes.get(f) ?? (LONGEST.includes(f) ? 1e6 - LONGEST.indexOf(f) : 0);
const files = found.sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort((a, b) => weight(b) - weight(a));
if (files.length === 0) { console.error('no test files matched'); process.exit(1); }
// The whole suite needs the system packages: say so in one line now, not as failures later. A filtered run
// goes ahead (tests that need a missing package skip with the reason, or fail under CI).
const missing = filters.length === 0 ? missingSystemPackages() : null;
if (missing) { console.error(missing); process.exit(1); }
// The tests spawn the bins, which run the compiled CLI (build/cli/compile.mjs): bring it up to date once here,
// rather than in every test process at the same time.
if (staleReason() !== null) {
  // A compile error is reported here once; tests that do not spawn a bin still run.
  await compile().catch((err) => console.error(`tests/run.mjs: the CLI does not compile: ${err.errors?.[0]?.text ?? err.message}`));
}
// The usual output (spec on a terminal, TAP otherwise) and, for the whole suite, each file's time, slowest
// first (not for a filtered run, which would overwrite the file of a whole run going on in this checkout).
mkdirSync(join(root, 'test-results'), { recursive: true });
const timings = filters.length === 0
  ? ['--test-reporter=./tests/support/file-timings.mjs', '--test-reporter-destination=test-results/node-test-timings.txt']
  : [];
const r = spawnSync(process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=900000',
    `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-reporter-destination=stdout', ...timings, ...files],
  { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
