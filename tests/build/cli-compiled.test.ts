// The bins run compiled JavaScript (build/cli/compile.mjs → dist/cli), never TypeScript through a loader:
// each bin is a launcher of one compiled entry, `npm ci` builds them (prepare), and what runs is a bundle of
// the project's code that loads only npm packages, Node built-ins and its own chunks.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ENTRIES, OUT_DIR, staleReason } from '../../build/cli/compile.mjs';
import { root } from './helpers.ts';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

test('every bin and npm start launch one compiled entry; npm ci builds them (prepare)', () => {
  assert.deepEqual(Object.keys(pkg.bin).sort(), ['parley', 'parley-app', 'parley-release', 'parley-server']);
  const launchers = { ...pkg.bin, start: pkg.scripts.start!.replace(/^node /, '') };
  for (const [name, file] of Object.entries(launchers)) {
    assert.ok(name in ENTRIES, `${name} is a compiled entry`);
    const text = readFileSync(join(root, file), 'utf8');
    assert.match(text, /from '\.\.\/\.\.\/build\/cli\/compile\.mjs'/, `${file} uses the compiled CLI`);
    assert.match(text, new RegExp(`await run\\('${name}'\\)`), `${file} runs ${name}`);
    assert.doesNotMatch(text, /tsx/, `${file} loads no TypeScript`);
  }
  assert.equal(pkg.scripts.prepare, 'node build/cli/compile.mjs');
});

test('the bins answer --help from dist/cli, which is then up to date', { timeout: 120_000 }, () => {
  for (const [name, file] of Object.entries(pkg.bin)) {
    const r = spawnSync(process.execPath, [join(root, file), '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${name} --help: ${r.stderr}`);
    assert.match(r.stdout, /usage/i, `${name} prints its usage`);
  }
  // Another engineer's edit during the run could make it stale again; the bins rebuild then, so only require a
  // fresh build to have happened since.
  const reason = staleReason();
  assert.ok(reason === null || / changed$/.test(reason), `dist/cli after the bins ran: ${reason}`);
});

test('the compiled code imports only npm packages, Node built-ins and its own chunks', () => {
  const files = readdirSync(OUT_DIR).filter((f) => f.endsWith('.mjs'));
  for (const name of Object.keys(ENTRIES)) assert.ok(files.includes(`${name}.mjs`), `dist/cli/${name}.mjs`);
  for (const f of files) {
    const text = readFileSync(join(OUT_DIR, f), 'utf8');
    const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)]
      .map((m) => m[1] ?? m[2]!);
    assert.ok(specs.length > 0 || text.length < 400, `${f} has imports`);
    for (const s of specs) {
      assert.ok(/^\.\/chunk-[\w-]+\.mjs$/.test(s) || !s.startsWith('.'), `${f} imports ${s}: only chunks, packages and node: modules`);
      assert.doesNotMatch(s, /^tsx|\.ts$/, `${f} imports ${s}`);
    }
  }
});
