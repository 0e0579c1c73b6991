// The structure, enforced by tools rather than read by eye: the layer rules of .dependency-cruiser.cjs hold for
// the tree (a violation fails naming the rule), the rules really catch what they name (a broken fixture tree in
// a temp dir), and no source file grows past 400 lines without a written reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(root, '.dependency-cruiser.cjs');
const DEPCRUISE = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const LAYERS = ['common', 'crypto', 'electron', 'server', 'renderer', 'build', 'tests'];

/** Runs depcruise in `cwd` with the project's rules; `err` output is one line per violation, rule name first. */
function depcruise(cwd: string, dirs: string[]) {
  const r = spawnSync(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', 'err', ...dirs], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const ELECTRON = 'electron';

test('the layer rules of .dependency-cruiser.cjs hold for the tree', { timeout: 120_000 }, () => {
  const r = depcruise(root, LAYERS.filter((d) => statSync(join(root, d), { throwIfNoEntry: false })?.isDirectory()));
  assert.equal(r.status, 0, `layer violations (rule: from → to):\n${r.out}`);
  assert.match(r.out, /no dependency violations found \((\d{3,}) modules/, 'depcruise really cruised the tree');
});

test('a broken import fails depcruise naming the rule (fixture tree in a temp dir)', { timeout: 120_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-layers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The real package 'electron' must resolve as it does in the repository.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  copyFileSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  const files: Record<string, string> = {
    'common/ok.ts': 'export const x = 1;\n',
    'common/reaches-up.ts': "import { core } from '../electron/core/core.ts';\nexport const y = core;\n",
    'common/reads-files.ts': "import { readFileSync } from 'node:fs';\nexport const z = readFileSync;\n",
    'crypto/reaches-core.ts': "import { core } from '../electron/core/core.ts';\nimport { x } from '../common/ok.ts';\nexport const c = [core, x];\n",
    'electron/core/core.ts': "import { m } from '../main/m.ts';\nexport const core = m;\n",
    // The module name is spliced in so that text scanners of this repository do not take these fixture
    // strings for real imports of Electron.
    'electron/main/m.ts': `import { app } from '${ELECTRON}';\nexport const m = app;\n`,
    'electron/app/uses-electron.ts': `import type { BrowserWindow } from '${ELECTRON}';\nexport type W = BrowserWindow;\n`,
    'electron/cli/start.ts': "import { s } from '../../server/s.ts';\nexport const start = s;\n",
    'electron/cli/other.ts': "import { s } from '../../server/s.ts';\nexport const other = s;\n",
    'server/s.ts': "import { m } from '../electron/main/m.ts';\nexport const s = m;\n",
    'renderer/src/Bad.svelte': "<script lang=\"ts\">\n  import { s } from '../../server/s.ts';\n  const v = s;\n</script>\n<p>{v}</p>\n",
    'renderer/src/io.ts': "import { join } from 'node:path';\nexport const j = join;\n",
    'renderer/src/typo.ts': "import { nothing } from './no-such-file.ts';\nexport const n = nothing;\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, dirname(path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = depcruise(dir, ['common', 'crypto', 'electron', 'server', 'renderer']);
  assert.notEqual(r.status, 0, `depcruise passed a broken tree:\n${r.out}`);
  const expected: [string, string][] = [
    ['common-imports-only-common', 'common/reaches-up.ts'],
    ['pure-layers-no-node-io', 'common/reads-files.ts'],
    ['crypto-imports-only-common', 'crypto/reaches-core.ts'],
    ['core-below-shells', 'electron/core/core.ts'],
    ['only-main-imports-electron', 'electron/app/uses-electron.ts'],
    ['client-not-server', 'electron/cli/other.ts'],
    ['server-not-client', 'server/s.ts'],
    ['renderer-imports-only-common', 'renderer/src/Bad.svelte'],
    ['renderer-src-no-node', 'renderer/src/io.ts'],
    ['not-to-unresolvable', 'renderer/src/typo.ts'],
  ];
  for (const [rule, from] of expected) {
    assert.ok(r.out.split('\n').some((l) => l.includes(rule) && l.includes(from)), `expected "${rule}" for ${from} in:\n${r.out}`);
  }
  assert.doesNotMatch(r.out, /electron\/cli\/start\.ts/, 'start.ts is the named exception (npm start runs the server)');
  assert.doesNotMatch(r.out, /: electron\/main\/m\.ts/, 'electron/main/ may import electron');
  assert.doesNotMatch(r.out, /crypto\/reaches-core\.ts → common\//, 'crypto may import common');
});

// ---- file size ----
const SIZE_DIRS = ['common', 'crypto', 'electron', 'server', join('renderer', 'src')];
const MAX_LINES = 400;
/** The first lines of an over-long file must say why, e.g. `// Over 400 lines because …` (or <!-- … --> in Svelte). */
const REASON = /^\s*(\/\/|\/\*|\*|<!--)\s*Over 400 lines because \S/m;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'out') continue;
    if (statSync(join(root, p)).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|cts|js|mjs|cjs|svelte|css)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

test(`no source file is over ${MAX_LINES} lines without a written reason at its top`, () => {
  const over = SIZE_DIRS.flatMap(sourceFiles).flatMap((f) => {
    const text = readFileSync(join(root, f), 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines <= MAX_LINES || REASON.test(text.split('\n').slice(0, 5).join('\n'))) return [];
    return [`${relative(root, join(root, f)).split(sep).join('/')}: ${lines} lines`];
  });
  assert.deepEqual(over, [], `split these along a seam, or start them with "// Over ${MAX_LINES} lines because …"`);
});
