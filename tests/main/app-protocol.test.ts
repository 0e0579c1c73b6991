// app:// → out/renderer: the resolver refuses every way out of the root; the response carries the CSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { appResponse, mimeType, resolveAppPath } from '../../electron/main/app-protocol.ts';
import { CSP } from '../../electron/app/static/static-files.ts';

const root = resolve(tmpdir(), 'parley-renderer-root');

test('resolveAppPath: traversal and foreign URLs are refused', () => {
  const refused = [
    'app://parley/../../etc/passwd',
    'app://parley/%2e%2e/%2e%2e/etc/passwd',
    'app://parley/%2E%2E/etc/passwd',
    'app://parley/..%2f..%2fetc/passwd',
    'app://parley/..%2F..%2Fetc/passwd',
    'app://parley/a/..%5c..%5cwin.ini',
    'app://parley/a/..\\..\\win.ini',
    'app://parley/%00',
    'app://parley/index.html%00.png',
    'app://parley/./index.html',
    'app://parley/assets/%252e%252e/x', // decoded once: a literal "%2e%2e" segment is harmless, but …
    'app://parley/C:/Windows/win.ini',
    'app://parley/%E0%A4%A', // malformed percent-encoding
    'app://evil/index.html',
    'app://parley.evil/index.html',
    'app://parley@evil/index.html',
    'app://evil@parley/index.html',
    'app://parley:8080/index.html',
    'file:///etc/passwd',
    'https://parley/index.html',
    'app:parley/index.html',
    '',
  ];
  for (const url of refused.filter((u) => !u.includes('%252e'))) {
    assert.equal(resolveAppPath(root, url), null, url);
  }
});

test('resolveAppPath: percent-decoding happens once (a double-encoded dot-dot stays a literal name inside root)', () => {
  const p = resolveAppPath(root, 'app://parley/assets/%252e%252e/x');
  assert.equal(p, join(root, 'assets', '%2e%2e', 'x'));
});

test('resolveAppPath: valid paths stay inside root; / is index.html', () => {
  assert.equal(resolveAppPath(root, 'app://parley/assets/x.js'), join(root, 'assets', 'x.js'));
  assert.ok(resolveAppPath(root, 'app://parley/assets/x.js')!.startsWith(root + sep));
  assert.equal(resolveAppPath(root, 'app://parley/'), join(root, 'index.html'));
  assert.equal(resolveAppPath(root, 'app://parley'), join(root, 'index.html'));
  assert.equal(resolveAppPath(root, 'app://parley/index.html?x=1#top'), join(root, 'index.html'));
  assert.equal(resolveAppPath(root, 'APP://PARLEY/index.html'), join(root, 'index.html'));
  assert.equal(resolveAppPath(root, 'app://parley/fonts/Inter%20Var.woff2'), join(root, 'fonts', 'Inter Var.woff2'));
  assert.equal(resolveAppPath(root, 'app://parley//assets//x.js'), join(root, 'assets', 'x.js'));
  // A sibling directory whose name starts with the root's name is outside (separator-aware check).
  assert.equal(resolveAppPath(`${root}/`, 'app://parley/a.js'), join(root, 'a.js'));
});

test('mimeType by extension', () => {
  assert.equal(mimeType('/x/index.html'), 'text/html; charset=utf-8');
  assert.equal(mimeType('/x/a.JS'), 'text/javascript; charset=utf-8');
  assert.equal(mimeType('/x/a.css'), 'text/css; charset=utf-8');
  assert.equal(mimeType('/x/a.svg'), 'image/svg+xml');
  assert.equal(mimeType('/x/a.woff2'), 'font/woff2');
  assert.equal(mimeType('/x/a.exe'), 'application/octet-stream');
});

test('appResponse: serves files with CSP + nosniff, 404 outside/missing, 405 for other methods', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'parley-proto-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const dir = join(base, 'renderer');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Parley</title>');
  writeFileSync(join(dir, 'assets', 'x.js'), 'console.log(1)');
  writeFileSync(join(base, 'secret.txt'), 'secret');
  symlinkSync(join(base, 'secret.txt'), join(dir, 'link.txt'));

  const index = await appResponse(dir, 'app://parley/');
  assert.equal(index.status, 200);
  assert.equal(index.headers['Content-Type'], 'text/html; charset=utf-8');
  assert.equal(index.headers['Content-Security-Policy'], CSP);
  assert.equal(index.headers['X-Content-Type-Options'], 'nosniff');
  assert.equal(Buffer.from(index.body!).toString(), '<!doctype html><title>Parley</title>');

  const js = await appResponse(dir, 'app://parley/assets/x.js');
  assert.equal(js.status, 200);
  assert.equal(js.headers['Content-Type'], 'text/javascript; charset=utf-8');

  assert.equal((await appResponse(dir, 'app://parley/../secret.txt')).status, 404);
  assert.equal((await appResponse(dir, 'app://parley/link.txt')).status, 404, 'symlink out of the root');
  assert.equal((await appResponse(dir, 'app://parley/missing.js')).status, 404);
  assert.equal((await appResponse(dir, 'app://parley/assets')).status, 404, 'a directory is not a file');
  const post = await appResponse(dir, 'app://parley/index.html', 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.body, null);
  const head = await appResponse(dir, 'app://parley/index.html', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
});
