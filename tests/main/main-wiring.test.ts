// main.ts cannot run without the Electron binary, so its wiring is checked on the source. Only wiring is
// asserted here; every decision it delegates is unit-tested on the pure modules (url-policy, app-protocol,
// window-options, vault-policy). tests/electron/app.spec.ts checks the same behaviour live when a binary exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Built from parts so tests/layers.test.ts's import scanner does not mistake this pattern for an import.
const RUNTIME_ELECTRON_IMPORT = new RegExp(`^import (?!type )[^;]*from '${['elec', 'tron'].join('')}'`, 'm');

const read = (f: string) => readFileSync(fileURLToPath(new URL(`../../electron/main/${f}`, import.meta.url)), 'utf8');
const main = read('main.ts');

test('main.ts: permission handlers (request + check) deny all but the allowlist', () => {
  assert.match(main, /setPermissionRequestHandler\(\(_wc, permission, callback, details\) => \{\s*callback\(permissionAllowed\(permission, details\.requestingUrl\)\)/);
  assert.match(main, /setPermissionCheckHandler\(\(_wc, permission, requestingOrigin\) => permissionAllowed\(permission, requestingOrigin\)\)/);
});

test('main.ts: every webContents gets will-navigate, window-open and will-attach-webview handlers', () => {
  assert.match(main, /app\.on\('web-contents-created', \(_event, contents\) => lockDown\(contents\)\)/);
  const lock = main.slice(main.indexOf('function lockDown'), main.indexOf('function createWindow'));
  assert.match(lock, /on\('will-navigate', \(event\) => \{\s*if \(!isAppUrl\(event\.url\)\) event\.preventDefault\(\)/);
  assert.match(lock, /on\('will-redirect'/);
  assert.match(lock, /on\('will-attach-webview', \(event\) => event\.preventDefault\(\)\)/);
  assert.match(lock, /setWindowOpenHandler\([\s\S]*return \{ action: 'deny' \};/);
  assert.doesNotMatch(lock, /action: 'allow'/);
});

test('main.ts: one IPC handler, sender frame checked before dispatch; events on parley:event', () => {
  assert.equal(main.match(/ipcMain\.(handle|on)\(/g)?.length, 1);
  const ipc = main.slice(main.indexOf("ipcMain.handle('parley:call'"));
  assert.ok(ipc.indexOf('isTrustedSender(event.senderFrame)') < ipc.indexOf('dispatch(method, input)'));
  assert.match(main, /webContents\.send\('parley:event', appEvent\)/);
});

test('main.ts: app:// privileged before ready, single instance, served by appResponse, external links validated', () => {
  assert.ok(main.indexOf('registerSchemesAsPrivileged') < main.indexOf('whenReady'));
  assert.match(main, /privileges: \{ standard: true, secure: true, supportFetchAPI: true \}/);
  const reg = /registerSchemesAsPrivileged\(\[[\s\S]*?\]\)/.exec(main)?.[0] ?? '';
  assert.match(reg, /scheme: APP_SCHEME/);
  assert.doesNotMatch(reg, /bypassCSP|corsEnabled|allowServiceWorkers|stream/);
  assert.match(main, /requestSingleInstanceLock\(\)/);
  assert.match(main, /app\.on\('second-instance', \(\) => focusMainWindow\(\)\)/);
  assert.match(main, /protocol\.handle\(APP_SCHEME, async \(request\) => \{\s*const r = await appResponse\(RENDERER_DIR, request\.url, request\.method\)/);
  assert.match(main, /const safe = externalHttpUrl\(url\);\s*if \(safe === null\) throw/);
  assert.equal(main.match(/shell\.openExternal\(/g)?.length, 1, 'openExternal only behind the validator');
  assert.match(main, /new BrowserWindow\(mainWindowOptions\(PRELOAD_PATH\)\)/);
  assert.match(main, /app\.enableSandbox\(\)/);
});

test('preload.ts: exposes only call/onEvent, never ipcRenderer', () => {
  const preload = read('preload.ts');
  assert.equal(preload.match(/exposeInMainWorld\(/g)?.length, 1);
  assert.match(preload, /exposeInMainWorld\('parley', api\)/);
  assert.match(preload, /typeof method !== 'string'/);
  assert.match(preload, /Object\.freeze\(\{/);
  const api = preload.slice(preload.indexOf('const api'), preload.indexOf('contextBridge.exposeInMainWorld'));
  assert.doesNotMatch(api, /^\s+ipcRenderer[,:]/m, 'ipcRenderer is not a property of the API');
  assert.doesNotMatch(api, /\bsend\(|sendSync\(/);
});

test("no file outside electron/main/ of this work imports 'electron' at run time (pure modules)", () => {
  for (const f of ['window-options.ts', 'app-protocol.ts', 'url-policy.ts', 'vault-policy.ts', 'safe-storage-vault.ts']) {
    assert.doesNotMatch(read(f), RUNTIME_ELECTRON_IMPORT, f);
  }
});
