// A node:test reporter that writes how long each test file took (the sum of its top-level tests, so without
// the process start-up) to its destination, slowest first — tests/run.mjs points it at
// test-results/node-test-timings.txt, to see what dominates a run.
export default async function* fileTimings(source) {
  const files = new Map();
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0 || !event.data.file) continue;
    const f = files.get(event.data.file) ?? { ms: 0, tests: 0, failed: 0 };
    f.ms += event.data.details?.duration_ms ?? 0;
    f.tests += 1;
    if (event.type === 'test:fail') f.failed += 1;
    files.set(event.data.file, f);
  }
  const rows = [...files].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((sum, [, f]) => sum + f.ms, 0);
  yield `${(total / 1000).toFixed(1)} s in ${rows.length} files (sum of top-level tests; files run two at a time)\n`;
  for (const [file, f] of rows) {
    yield `${(f.ms / 1000).toFixed(1).padStart(7)} s  ${String(f.tests).padStart(3)} tests${f.failed ? ` (${f.failed} failed)` : ''}  ${file.replace(`${process.cwd()}/`, '')}\n`;
  }
}
