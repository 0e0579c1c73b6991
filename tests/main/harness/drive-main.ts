// Driver of the main.ts harness: runs electron/main/main.ts against the FAKE Electron module (loader.mjs),
// plays Electron's part, and prints what happened as one JSON line for tests/main/main-harness.test.ts.
import { register } from 'node:module';
import { waitFor } from '../../support/wait-for.ts';

register('./loader.mjs', import.meta.url);
const fake = await import('./fake-electron.ts');
await import(new URL('../../../electron/main/main.ts', import.meta.url).href);
const beforeReady = [...fake.calls];
fake.app.markReady();
await waitFor(() => fake.BrowserWindow.all.length > 0, { what: 'main.ts to open its window after ready' });
const win = fake.BrowserWindow.all[0]!;
const wc = win.webContents;

function nav(event: string, url: string): boolean {
  let prevented = false;
  wc.emit(event, { url, preventDefault: () => { prevented = true; } });
  return prevented;
}
const ses = fake.session.defaultSession;
const request = (permission: string, url: string) => new Promise<boolean>((r) => ses.requestHandler!(wc as never, permission as never, r as never, { requestingUrl: url } as never));
const check = (permission: string, origin: string) => ses.checkHandler!(wc as never, permission as never, origin as never, {} as never) as boolean;
const ipc = fake.ipcMain.handlers.get('parley:call')!;
const invoke = async (frame: unknown, method: unknown, input: unknown) => {
  try { return { ok: await ipc({ senderFrame: frame } as never, method as never, input as never) }; } catch (e) { return { error: (e as Error).message }; }
};
const appFrame = { url: 'app://parley/index.html', parent: null };
const proto = fake.protocol.handlers.get('app')!;
const serve = async (url: string, method = 'GET') => {
  const r = await proto({ url, method } as never) as Response;
  return { status: r.status, csp: r.headers.get('content-security-policy') };
};

const out = {
  beforeReady,
  calls: [...fake.calls],
  privileged: fake.protocol.privileged,
  windowOptions: win.options,
  loaded: win.loaded,
  navigation: {
    external: nav('will-navigate', 'https://example.com/'),
    file: nav('will-navigate', 'file:///etc/passwd'),
    lookalike: nav('will-navigate', 'app://parley.evil/'),
    internal: nav('will-navigate', 'app://parley/index.html#/x'),
    redirect: nav('will-redirect', 'https://example.com/'),
    frame: nav('will-frame-navigate', 'https://example.com/'),
    webview: nav('will-attach-webview', 'app://parley/'),
  },
  windowOpen: {
    https: (wc.windowOpenHandler as (d: { url: string }) => unknown)({ url: 'https://example.com/x' }),
    file: (wc.windowOpenHandler as (d: { url: string }) => unknown)({ url: 'file:///etc/passwd' }),
    js: (wc.windowOpenHandler as (d: { url: string }) => unknown)({ url: 'javascript:alert(1)' }),
  },
  opened: [] as string[],
  permissions: {
    notificationsApp: await request('notifications', 'app://parley/index.html'),
    notificationsOther: await request('notifications', 'https://example.com/'),
    media: await request('media', 'app://parley/index.html'),
    geolocation: await request('geolocation', 'app://parley/index.html'),
    checkNotifications: check('notifications', 'app://parley'),
    checkClipboard: check('clipboard-read', 'app://parley'),
    device: ses.deviceHandler ? ses.deviceHandler() : 'unset',
  },
  ipc: {
    foreignFrame: await invoke({ url: 'https://evil.example/', parent: null }, 'state.get', {}),
    subFrame: await invoke({ url: 'app://parley/index.html', parent: appFrame }, 'state.get', {}),
    noFrame: await invoke(null, 'state.get', {}),
    nonString: await invoke(appFrame, 42, {}),
    unknown: await invoke(appFrame, 'nope.nothing', {}),
    state: await invoke(appFrame, 'state.get', {}),
  },
  protocol: {
    index: await serve('app://parley/'),
    traversal: await serve('app://parley/%2e%2e/%2e%2e/etc/passwd'),
    post: await serve('app://parley/index.html', 'POST'),
  },
  events: [] as unknown[],
  secondInstance: false,
  quit: [] as string[],
};
// openExternal and the controller's first events are asynchronous.
await waitFor(() => fake.shell.opened.length > 0 && wc.sent.length > 0, { what: 'the link opened externally and a controller event' });
out.opened = [...fake.shell.opened];
out.events = wc.sent.map((s) => s[0]);
fake.app.emit('second-instance');
out.secondInstance = win.focused;
let quitPrevented = false;
fake.app.emit('will-quit', { preventDefault: () => { quitPrevented = true; } });
// will-quit waits for controller.stop(), then quits: wait for that quit (or report none after the timeout).
await waitFor(() => fake.calls.includes('quit'), { what: 'app.quit() after will-quit' }).catch(() => {});
out.quit = [String(quitPrevented), ...fake.calls.filter((c) => c === 'quit')];
console.log(`HARNESS ${JSON.stringify(out)}`);
process.exit(0);
