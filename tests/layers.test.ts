// The runtime split, enforced: only electron/main/ may import 'electron'; crypto/ does no I/O;
// client code reaches into server/ only for the wire contract; the server never imports client code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const p = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(join(root, p)).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|js|mjs|svelte)$/.test(name)) out.push(p);
  }
  return out;
}
function imports(file: string): string[] {
  const src = readFileSync(join(root, file), 'utf8');
  return [...src.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2] ?? m[3]!);
}
const resolveRel = (file: string, spec: string) => relative(root, join(root, file, '..', spec)).split(sep).join('/');

test("only electron/main/ imports 'electron'", () => {
  const offenders = ['electron', 'crypto', 'server', 'tests', 'renderer'].flatMap(sources)
    .filter((f) => !f.split(sep).join('/').startsWith('electron/main/'))
    .filter((f) => imports(f).some((s) => s === 'electron' || s.startsWith('electron/')));
  assert.deepEqual(offenders, []);
});

test('crypto/ is pure: no I/O modules, no imports outside crypto/', () => {
  const io = /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|tls|worker_threads|os)$/;
  for (const f of sources('crypto')) {
    for (const s of imports(f)) {
      assert.ok(!io.test(s), `${f} imports ${s}`);
      if (s.startsWith('.')) assert.ok(resolveRel(f, s).startsWith('crypto/'), `${f} imports ${s}`);
    }
  }
});

test('client code uses only the wire contract from server/; server/ never imports client code', () => {
  for (const f of sources('electron')) {
    for (const s of imports(f).filter((s) => s.startsWith('.'))) {
      const target = resolveRel(f, s);
      if (target.startsWith('server/') && !target.startsWith('common/')) {
        assert.ok(f.split(sep).join('/') === 'electron/cli/start.ts', `${f} imports ${target}`);
      }
    }
  }
  for (const f of sources('server')) {
    for (const s of imports(f).filter((s) => s.startsWith('.'))) {
      const target = resolveRel(f, s);
      assert.ok(!target.startsWith('electron/') && !target.startsWith('renderer/'), `${f} imports ${target}`);
    }
  }
});
