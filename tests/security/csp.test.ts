// One Content-Security-Policy, one static-file resolver, one MIME table (electron/app/static/static-files.ts):
// the app:// header and the browser shell send that CSP, renderer/index.html's <meta> is exactly its
// meta-legal part (a <meta> cannot carry frame-ancestors), and no other file spells a policy or a MIME table.
// Electronegativity cannot see either (see build/electronegativity-baseline.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { securityHeaders } from '../../electron/main/app-protocol.ts';
import { CSP, CSP_META } from '../../electron/app/static/static-files.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SINGLE_SOURCE = 'electron/app/static/static-files.ts';

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const p = `${dir}/${name}`;
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(join(root, p)).isDirectory() ? files(p) : /\.(ts|js|mjs|svelte|html)$/.test(name) ? [p] : [];
  });
}

test('the app:// header carries the CSP', () => {
  assert.equal(securityHeaders()['Content-Security-Policy'], CSP);
  assert.doesNotMatch(CSP, /unsafe-|\*|https?:/);
  assert.match(CSP, /frame-ancestors 'none'/);
});

test("renderer/index.html's <meta> is the single CSP without its header-only directives", () => {
  const html = readFileSync(join(root, 'renderer', 'index.html'), 'utf8');
  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)].map((m) => m[1]);
  assert.deepEqual(metas, [CSP_META], 'exactly one CSP <meta>, equal to CSP_META');
  assert.equal(CSP_META, CSP.replace(/;\s*frame-ancestors 'none'/, ''));
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
  assert.doesNotMatch(html, /<style[\s>]/i, 'no inline <style>');
});

test('one policy and one MIME table: no other source spells them', () => {
  // The one other page with a policy is the OIDC loopback's "Signed in" page: not the app's UI, served by the
  // sign-in listener, and stricter (default-src 'none', its own style by hash).
  const SIGNED_IN_PAGE = 'electron/core/auth/signed-in-page.ts';
  const sources = ['electron', 'renderer/src', 'common'].flatMap(files)
    .filter((f) => f !== SINGLE_SOURCE && f !== SIGNED_IN_PAGE);
  assert.match(readFileSync(join(root, SIGNED_IN_PAGE), 'utf8'), /default-src 'none'/);
  const policy = sources.filter((f) => /default-src\s/.test(readFileSync(join(root, f), 'utf8')));
  const mime = sources.filter((f) => /['"]\.woff2['"]\s*:|['"]\.css['"]\s*:\s*['"]text\/css/.test(readFileSync(join(root, f), 'utf8')));
  assert.deepEqual(policy, [], `a CSP outside ${SINGLE_SOURCE}`);
  assert.deepEqual(mime, [], `a MIME table outside ${SINGLE_SOURCE}`);
  const shell = readFileSync(join(root, 'electron', 'browser-shell', 'server.ts'), 'utf8');
  assert.match(shell, /import \{[^}]*\bCSP\b[^}]*\breadStatic\b[^}]*\} from '\.\.\/app\/static\/static-files\.ts'/, 'the browser shell serves through the shared module');
});
