// The shell's URL decisions (pure) and the command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SERVER, launchOptions, LaunchOptionsError } from '../../electron/core/config/launch-options.ts';
import { ALLOWED_PERMISSIONS, externalHttpUrl, isAppUrl, isTrustedSender, permissionAllowed } from '../../electron/main/url-policy.ts';

test('isAppUrl: exactly app://parley, by parsed fields (no prefix tricks)', () => {
  for (const ok of ['app://parley', 'app://parley/', 'app://parley/index.html', 'app://parley/#/chat/1']) assert.ok(isAppUrl(ok), ok);
  for (const bad of ['app://parley.evil/', 'app://parley@evil/', 'app://evil@parley/', 'app://parley:1/', 'app://evil/',
    'https://parley/', 'http://app//parley', 'app://parleyx/', 'file:///app://parley', 'javascript:alert(1)//app://parley',
    'about:blank', '', 'not a url', undefined, null, 42]) {
    assert.ok(!isAppUrl(bad), String(bad));
  }
});

test('externalHttpUrl: only http(s) with a host and no credentials, re-serialized', () => {
  assert.equal(externalHttpUrl('https://example.com/a b'), 'https://example.com/a%20b');
  assert.equal(externalHttpUrl('http://127.0.0.1:9000/auth?x=1'), 'http://127.0.0.1:9000/auth?x=1');
  for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-msdt:/id', 'app://parley/',
    'https://user:pw@example.com/', 'data:text/html,x', 'vbscript:x', '//example.com', 'example.com', '', 42]) {
    assert.equal(externalHttpUrl(bad), null, String(bad));
  }
});

test('permissions: deny-all except notifications, and only for the app origin', () => {
  assert.deepEqual([...ALLOWED_PERMISSIONS], ['notifications']);
  assert.ok(permissionAllowed('notifications', 'app://parley'));
  assert.ok(permissionAllowed('notifications', 'app://parley/index.html'));
  assert.ok(!permissionAllowed('notifications', 'https://example.com'));
  for (const p of ['media', 'geolocation', 'openExternal', 'clipboard-read', 'fullscreen', 'hid', 'usb', 'serial', 'unknown']) {
    assert.ok(!permissionAllowed(p, 'app://parley'), p);
  }
});

test('isTrustedSender: the app top-level frame only', () => {
  assert.ok(isTrustedSender({ url: 'app://parley/index.html', parent: null }));
  assert.ok(!isTrustedSender({ url: 'app://parley/index.html', parent: {} }), 'subframe');
  assert.ok(!isTrustedSender({ url: 'https://example.com/', parent: null }));
  assert.ok(!isTrustedSender({ url: 'app://parley.evil/', parent: null }));
  assert.ok(!isTrustedSender(null));
  assert.ok(!isTrustedSender(undefined));
});

test('launchOptions: --server beats PARLEY_SERVER beats the default; basic_text needs an explicit switch', () => {
  assert.deepEqual(launchOptions(['electron', '.'], {}), { serverUrl: DEFAULT_SERVER, allowBasicText: false });
  assert.equal(launchOptions([], { PARLEY_SERVER: 'https://chat.example.com/' }).serverUrl, 'https://chat.example.com');
  assert.equal(launchOptions(['--server', 'https://a.example'], { PARLEY_SERVER: 'https://b.example' }).serverUrl, 'https://a.example');
  assert.equal(launchOptions(['--server=https://c.example:8443/base'], {}).serverUrl, 'https://c.example:8443/base');
  assert.equal(launchOptions(['--allow-basic-text-keyring'], {}).allowBasicText, true);
  assert.equal(launchOptions([], { PARLEY_ALLOW_BASIC_TEXT_KEYRING: '1' }).allowBasicText, true);
  assert.throws(() => launchOptions(['--server', 'ftp://x'], {}), LaunchOptionsError);
  assert.throws(() => launchOptions(['--server', 'nope'], {}), LaunchOptionsError);
  assert.throws(() => launchOptions(['--server', 'https://u:p@x.example'], {}), LaunchOptionsError);
});
