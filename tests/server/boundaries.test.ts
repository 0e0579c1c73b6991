// common/ is the contract both ends share: it imports nothing of the project outside common/ and does no I/O
// (no Node built-ins, no DOM), so the server, the client core and the renderer can all use it.
// (server/ never importing client code is checked in tests/layers.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const files = (dir: string): string[] => readdirSync(join(root, dir)).flatMap((name) => {
  const p = join(dir, name);
  return statSync(join(root, p)).isDirectory() ? files(p) : /\.(ts|js|mjs)$/.test(name) ? [p] : [];
});
const specifiers = (src: string) =>
  [...src.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2] ?? m[3]!);
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

test('common/ imports only common/ and packages, no Node built-ins', () => {
  const common = files('common');
  assert.ok(common.length > 3);
  for (const f of common) {
    for (const s of specifiers(readFileSync(join(root, f), 'utf8'))) {
      assert.ok(!builtins.has(s) && !s.startsWith('node:'), `${f} imports the built-in ${s}`);
      if (s.startsWith('.')) {
        const target = relative(root, join(root, f, '..', s)).split(sep).join('/');
        assert.ok(target.startsWith('common/'), `${f} imports ${target}`);
      }
    }
  }
});

test('common/ touches no I/O globals (DOM, network, process)', () => {
  for (const f of files('common')) {
    const code = readFileSync(join(root, f), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    for (const g of ['window', 'document', 'localStorage', 'sessionStorage', 'navigator', 'fetch', 'XMLHttpRequest', 'WebSocket', 'process', 'Buffer', 'require']) {
      assert.ok(!new RegExp(`(?<![\\w.'"])${g}\\s*[.(\\[]`).test(code), `${f} uses ${g}`);
    }
  }
});
