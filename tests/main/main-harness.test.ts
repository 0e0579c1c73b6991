// Runs electron/main/main.ts itself under plain Node against a FAKE Electron module (tests/main/harness/),
// so the wiring is exercised, not only read: order before 'ready', window options, navigation/window-open/
// webview handlers, permission handlers, the IPC sender check, the app:// handler, second instance, quit.
// Real Electron behaviour (that Chromium calls these hooks as expected) is covered by tests/electron/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSP } from '../../electron/app/static/static-files.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('main.ts wiring, driven through a fake Electron', { timeout: 60_000 }, (t) => {
  const userData = mkdtempSync(join(tmpdir(), 'parley-harness-'));
  t.after(() => rmSync(userData, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'tests/main/harness/drive-main.ts'], {
    cwd: root, encoding: 'utf8', timeout: 50_000,
    env: { ...process.env, FAKE_USER_DATA: userData, PARLEY_SERVER: 'http://127.0.0.1:9' },
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('HARNESS '));
  assert.ok(line, `no harness output (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(line.slice('HARNESS '.length));

  // Before 'ready': privileged scheme, sandbox for all renderers, single-instance lock.
  assert.deepEqual(out.beforeReady, ['registerSchemesAsPrivileged:before-ready', 'enableSandbox:before-ready', 'requestSingleInstanceLock', 'whenReady']);
  assert.deepEqual(out.privileged, [{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  // After 'ready', before the window exists: permissions, protocol, IPC (exactly one channel).
  assert.deepEqual(out.calls.slice(4), ['ready', 'setPermissionRequestHandler', 'setPermissionCheckHandler', 'protocol.handle:app', 'ipcMain.handle:parley:call']);

  assert.equal(out.loaded, 'app://parley/index.html');
  assert.equal(out.windowOptions.webPreferences.contextIsolation, true);
  assert.equal(out.windowOptions.webPreferences.sandbox, true);
  assert.equal(out.windowOptions.webPreferences.nodeIntegration, false);
  assert.match(out.windowOptions.webPreferences.preload, /preload[\\/]preload\.cjs$/);

  assert.deepEqual(out.navigation, { external: true, file: true, lookalike: true, internal: false, redirect: true, frame: true, webview: true },
    'true = prevented');
  assert.deepEqual(out.windowOpen, { https: { action: 'deny' }, file: { action: 'deny' }, js: { action: 'deny' } });
  assert.deepEqual(out.opened, ['https://example.com/x'], 'only the http(s) link went to the system browser');

  assert.deepEqual(out.permissions, { notificationsApp: true, notificationsOther: false, media: false, geolocation: false,
    checkNotifications: true, checkClipboard: false, device: false });

  assert.match(out.ipc.foreignFrame.error, /did not come from the Parley window/);
  assert.match(out.ipc.subFrame.error, /did not come from the Parley window/);
  assert.match(out.ipc.noFrame.error, /did not come from the Parley window/);
  assert.match(out.ipc.nonString.error, /method must be a name/);
  assert.ok(out.ipc.unknown.error, 'unknown method refused by the dispatcher');
  assert.equal(out.ipc.state.ok.phase, 'signed-out');

  // In the source layout there is no built renderer next to main.ts: 404, but always with the CSP.
  assert.equal(out.protocol.index.csp, CSP);
  assert.equal(out.protocol.traversal.status, 404);
  assert.equal(out.protocol.post.status, 405);

  assert.ok(out.events.every((c: string) => c === 'parley:event') && out.events.length > 0, 'controller events forwarded on parley:event');
  assert.equal(out.secondInstance, true, 'a second instance focuses the window');
  assert.deepEqual(out.quit, ['true', 'quit'], 'will-quit waits for controller.stop(), then quits');
});
