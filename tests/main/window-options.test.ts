// The main window's hardening flags, checked on the pure options module (no Electron binary needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { APP_ENTRY_URL, APP_ORIGIN, mainWindowOptions } from '../../electron/main/window-options.ts';
import { CSP } from '../../electron/app/static/static-files.ts';

// Built from parts so no text search for imports of that module mistakes this pattern for one.
const RUNTIME_ELECTRON_IMPORT = new RegExp(`^import (?!type )[^;]*from '${['elec', 'tron'].join('')}'`, 'm');

test('mainWindowOptions: every hardening flag of webPreferences', () => {
  const opts = mainWindowOptions('/opt/parley/out/preload/preload.cjs');
  const wp = opts.webPreferences;
  assert.ok(wp, 'webPreferences present');
  assert.equal(wp.preload, '/opt/parley/out/preload/preload.cjs');
  assert.equal(wp.contextIsolation, true);
  assert.equal(wp.sandbox, true);
  assert.equal(wp.nodeIntegration, false);
  assert.equal(wp.nodeIntegrationInWorker, false);
  assert.equal(wp.nodeIntegrationInSubFrames, false);
  assert.equal(wp.webSecurity, true);
  assert.equal(wp.allowRunningInsecureContent, false);
  assert.equal(wp.webviewTag, false);
  assert.equal(wp.experimentalFeatures, false);
  assert.equal(wp.enableWebSQL, false);
  assert.equal(wp.plugins, false);
  assert.equal(wp.navigateOnDragDrop, false);
  assert.equal(wp.safeDialogs, true);
  assert.equal(wp.spellcheck, true);
  assert.equal(wp.enableBlinkFeatures, undefined);
  assert.equal(wp.disableBlinkFeatures, undefined);
  assert.equal(opts.title, 'Parley');
  assert.equal(opts.show, false, 'shown on ready-to-show, no white flash');
});

test('the app origin and entry URL', () => {
  assert.equal(APP_ORIGIN, 'app://parley');
  assert.equal(APP_ENTRY_URL, 'app://parley/index.html');
});

test('CSP: the exact policy, no unsafe sources', () => {
  assert.equal(CSP,
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  assert.doesNotMatch(CSP, /unsafe-|\*|https?:/);
});

test('the webPreferences are written literally in window-options.ts (reviewable, and visible to Electronegativity)', () => {
  const src = readFileSync(fileURLToPath(new URL('../../electron/main/window-options.ts', import.meta.url)), 'utf8');
  for (const line of ['contextIsolation: true,', 'sandbox: true,', 'nodeIntegration: false,', 'webSecurity: true,',
    'allowRunningInsecureContent: false,', 'webviewTag: false,', 'nodeIntegrationInSubFrames: false,', 'nodeIntegrationInWorker: false,']) {
    assert.ok(src.includes(line), `literal ${line}`);
  }
  assert.doesNotMatch(src, RUNTIME_ELECTRON_IMPORT, 'no runtime import of electron');
});
