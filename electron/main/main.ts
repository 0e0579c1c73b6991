// Electron main process: the composition root of the desktop app (kept small, after Element Desktop).
// Decisions live in pure modules next to it (window-options, app-protocol, url-policy, launch-options,
// vault-policy); this file only wires them to Electron. See docs/architecture.md.
import { app, BrowserWindow, dialog, ipcMain, Notification, protocol, safeStorage, session, shell, type WebContents } from 'electron';
import { join, resolve } from 'node:path';
import { effectiveSettings, loadManagedPolicy } from '../core/policy/managed-policy.ts';
import { setUpUpdates } from './updater.ts';
import { fileURLToPath } from 'node:url';
import type { AppEvent } from '../../common/app-api/contract.ts';
import { AppController, createDispatcher } from '../app/controller.ts';
import { appResponse } from './app-protocol.ts';
import { launchOptions } from '../core/config/launch-options.ts';
import { SafeStorageVault } from './safe-storage-vault.ts';
import { externalHttpUrl, isAppUrl, isTrustedSender, permissionAllowed } from './url-policy.ts';
import { APP_ENTRY_URL, APP_SCHEME, mainWindowOptions } from './window-options.ts';

const here = fileURLToPath(new URL('.', import.meta.url)); // out/main/
const RENDERER_DIR = join(here, '..', 'renderer');
const PRELOAD_PATH = join(here, '..', 'preload', 'preload.cjs');

// Before 'ready': app:// is a standard, secure origin (own storage, fetch, no mixed content). Not bypassCSP,
// not corsEnabled, no service workers.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;

function focusMainWindow(): void {
  if (!mainWindow || mainWindow.isDestroyed()) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

/** shell.openExternal, for http(s) URLs only (parsed with the URL parser, re-serialized). */
async function openExternal(url: string): Promise<void> {
  const safe = externalHttpUrl(url);
  if (safe === null) throw new Error('refused to open a link that is not an http(s) address');
  await shell.openExternal(safe);
}

/** Every webContents (windows, and anything else Chromium makes) stays on app://parley. */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (externalHttpUrl(url) !== null) void openExternal(url).catch(() => undefined);
    return { action: 'deny' };
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions(PRELOAD_PATH));
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => { if (mainWindow === win) mainWindow = null; });
  void win.loadURL(APP_ENTRY_URL);
  return win;
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => focusMainWindow());
  app.on('web-contents-created', (_event, contents) => lockDown(contents));

  const options = launchOptions(process.argv, process.env);
  // The admin-owned policy file wins over the command line and the environment; a bad file is refused
  // whole and Parley starts on safe defaults (no basic_text keyring), saying why.
  const policy = loadManagedPolicy();
  if (policy.status === 'refused') console.error(`parley: ${policy.problem}`);
  const managed = effectiveSettings(policy.policy, { argv: process.argv, env: process.env }).settings;
  await app.whenReady();

  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => {
    callback(permissionAllowed(permission, details.requestingUrl));
  });
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin));
  ses.setDevicePermissionHandler(() => false);
  ses.on('will-download', (event) => event.preventDefault());

  protocol.handle(APP_SCHEME, async (request) => {
    const r = await appResponse(RENDERER_DIR, request.url, request.method);
    return new Response(r.body, { status: r.status, headers: r.headers });
  });

  const profileDir = options.profileDir ? resolve(options.profileDir) : join(app.getPath('userData'), 'profile');
  const controller = new AppController({
    profileDir,
    serverUrl: managed.serverUrl,
    vault: new SafeStorageVault(join(profileDir, 'vault'), safeStorage, {
      platform: process.platform,
      allowBasicText: managed.allowBasicTextKeyring,
    }),
    openExternal,
    // A wipe erases every Chromium storage of the app too (cookies, caches, IndexedDB, service workers…).
    clearBrowserData: async () => {
      await session.defaultSession.clearStorageData();
      await session.defaultSession.clearCache();
    },
    notify: (title: string, body: string) => {
      if (!Notification.isSupported() || mainWindow?.isFocused()) return;
      const n = new Notification({ title, body });
      n.on('click', () => focusMainWindow());
      n.show();
    },
    // Received files: saved where the user picks, or (Open) into Downloads and then opened by the OS.
    chooseSavePath: async (suggestedName: string) => {
      const options = { defaultPath: join(app.getPath('downloads'), suggestedName) };
      const r = mainWindow && !mainWindow.isDestroyed() ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    openFiles: {
      dir: app.getPath('downloads'),
      open: async (path: string) => {
        const failure = await shell.openPath(path);
        if (failure) throw new Error(`The file was saved to ${path}, but the system could not open it: ${failure}`);
      },
    },
  });
  const dispatch = createDispatcher(controller);

  ipcMain.handle('parley:call', async (event, method: unknown, input: unknown) => {
    if (!isTrustedSender(event.senderFrame)) throw new Error('refused: the request did not come from the Parley window');
    if (typeof method !== 'string') throw new Error('refused: the method must be a name');
    return dispatch(method, input);
  });
  controller.onEvent((appEvent: AppEvent) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send('parley:event', appEvent);
  });

  let stopped = false;
  app.on('will-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    void controller.stop().catch((err: unknown) => console.error('parley: stop failed:', err)).finally(() => {
      stopped = true;
      app.quit();
    });
  });
  app.on('window-all-closed', () => { if (process.platform !== 'darwin') app.quit(); });
  app.on('activate', () => { if (mainWindow === null) mainWindow = createWindow(); });

  mainWindow = createWindow();
  setUpUpdates({
    feedUrl: process.env.PARLEY_UPDATE_URL,
    channel: managed.updateChannel,
    onRefused: (reason) => console.error(`parley: update refused: ${reason}`),
    onReady: (version) => console.error(`parley: update ${version} verified; installing`),
  });
  // The controller turns vault/keychain problems into an explained 'problem' state for the UI.
  await controller.start().catch((err: unknown) => console.error('parley: start failed:', err));
}

void main().catch((err: unknown) => {
  console.error('parley:', err);
  app.exit(1);
});
