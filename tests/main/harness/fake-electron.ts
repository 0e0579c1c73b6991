// FAKE Electron main-process API for the main.ts wiring harness (tests/main/main-harness.test.ts). It
// records what main.ts does and lets the driver play Electron's part (ready, events, IPC, protocol requests).
// It implements nothing of Electron's behaviour; it is not the real module and must never ship.
import { EventEmitter } from 'node:events';
import { FakeSafeStorage } from '../fake-safe-storage.ts';

type Fn = (...args: never[]) => unknown;
export const calls: string[] = [];

class FakeApp extends EventEmitter {
  ready = false;
  private resolveReady!: () => void;
  private readonly readyPromise = new Promise<void>((r) => { this.resolveReady = r; });
  requestSingleInstanceLock(): boolean { calls.push('requestSingleInstanceLock'); return true; }
  whenReady(): Promise<void> { calls.push('whenReady'); return this.readyPromise; }
  markReady(): void { this.ready = true; calls.push('ready'); this.resolveReady(); }
  getPath(name: string): string { return `${process.env.FAKE_USER_DATA ?? '/nonexistent'}${name === 'userData' ? '' : `/${name}`}`; }
  enableSandbox(): void { calls.push(`enableSandbox${this.ready ? ':after-ready' : ':before-ready'}`); }
  quit(): void { calls.push('quit'); }
  exit(code?: number): void { calls.push(`exit:${code ?? 0}`); }
}
export const app = new FakeApp();

export class FakeWebContents extends EventEmitter {
  sent: unknown[][] = [];
  windowOpenHandler: Fn | undefined;
  setWindowOpenHandler(h: Fn): void { this.windowOpenHandler = h; }
  send(channel: string, ...args: unknown[]): void { this.sent.push([channel, ...args]); }
  isDestroyed(): boolean { return false; }
}

export class BrowserWindow extends EventEmitter {
  static all: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loaded: string | undefined;
  focused = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.all.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url: string): Promise<void> { this.loaded = url; return Promise.resolve(); }
  isDestroyed(): boolean { return false; }
  isMinimized(): boolean { return false; }
  restore(): void {}
  show(): void {}
  focus(): void { this.focused = true; calls.push('window.focus'); }
  isFocused(): boolean { return this.focused; }
}

export const ipcMain = {
  handlers: new Map<string, Fn>(),
  handle(channel: string, fn: Fn): void { calls.push(`ipcMain.handle:${channel}`); this.handlers.set(channel, fn); },
  on(channel: string): void { calls.push(`ipcMain.on:${channel}`); },
};

export class Notification extends EventEmitter {
  static shown: unknown[] = [];
  static isSupported(): boolean { return true; }
  constructor(readonly opts: unknown) { super(); }
  show(): void { Notification.shown.push(this.opts); }
}

export const protocol = {
  privileged: undefined as unknown,
  handlers: new Map<string, Fn>(),
  registerSchemesAsPrivileged(schemes: unknown): void {
    calls.push(`registerSchemesAsPrivileged${app.ready ? ':after-ready' : ':before-ready'}`);
    this.privileged = schemes;
  },
  handle(scheme: string, fn: Fn): void { calls.push(`protocol.handle:${scheme}`); this.handlers.set(scheme, fn); },
};

class FakeSession extends EventEmitter {
  requestHandler: Fn | undefined;
  checkHandler: Fn | undefined;
  deviceHandler: Fn | undefined;
  setPermissionRequestHandler(h: Fn): void { calls.push('setPermissionRequestHandler'); this.requestHandler = h; }
  setPermissionCheckHandler(h: Fn): void { calls.push('setPermissionCheckHandler'); this.checkHandler = h; }
  setDevicePermissionHandler(h: Fn): void { this.deviceHandler = h; }
}
export const session = { defaultSession: new FakeSession() };

export const shell = {
  opened: [] as string[],
  openedPaths: [] as string[],
  async openExternal(url: string): Promise<void> { this.opened.push(url); },
  /** Electron resolves with '' on success, or the reason it could not open the file. */
  async openPath(path: string): Promise<string> { this.openedPaths.push(path); return ''; },
};

/** The save dialog of an attachment: this fake is always cancelled (nothing is written). */
export const dialog = {
  async showSaveDialog(..._args: unknown[]): Promise<{ canceled: boolean; filePath?: string }> { return { canceled: true }; },
};

export const safeStorage = new FakeSafeStorage();
