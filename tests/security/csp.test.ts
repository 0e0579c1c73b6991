// One Content-Security-Policy: the renderer's <meta> and the app:// response header (electron/shell) must be
// the same strict policy (the header adds the directives a <meta> cannot carry, e.g. frame-ancestors); Electronegativity cannot see either (see build/electronegativity-baseline.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { securityHeaders } from '../../electron/main/app-protocol.ts';
import { CSP } from '../../electron/main/window-options.ts';

const indexHtml = fileURLToPath(new URL('../../renderer/index.html', import.meta.url));

test('the app:// header carries the CSP', () => {
  assert.equal(securityHeaders()['Content-Security-Policy'], CSP);
});

test('renderer/index.html has the same CSP in its <meta>', { skip: !existsSync(indexHtml) && 'renderer/index.html not present' }, () => {
  const html = readFileSync(indexHtml, 'utf8');
  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)].map((m) => m[1]);
  assert.equal(metas.length, 1, 'exactly one CSP <meta>');
  // frame-ancestors (and report-uri, sandbox) are ignored in a <meta> policy, so they live in the header only.
  const headerOnly = new Set(['frame-ancestors', 'report-uri', 'sandbox']);
  const directives = (policy: string) => policy.split(';').map((d) => d.trim().replace(/\s+/g, ' ')).filter((d) => d !== '').sort();
  assert.deepEqual(directives(metas[0]!), directives(CSP).filter((d) => !headerOnly.has(d.split(' ')[0]!)));
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
  assert.doesNotMatch(html, /<style[\s>]/i, 'no inline <style>');
});
