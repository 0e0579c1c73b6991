// Starting one Parley client: the Electron app when its binary is present, otherwise the browser shell.
// Shared by `parley-app` and `npm start`. Plain Node: finds the Electron binary without importing
// 'electron' (whose module would try to download it).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppController } from '../app/controller.ts';
import { RENDERER_DIST, startBrowserShell, type BrowserShell } from '../browser-shell/server.ts';
import { defaultVault } from '../core/messenger.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The Electron executable, or a sentence saying why there is none. */
export function findElectron(): { path: string } | { missing: string } {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pkg = join(ROOT, 'node_modules', 'electron');
  if (override) {
    const candidate = join(override, process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron');
    return existsSync(candidate) ? { path: candidate } : { missing: `ELECTRON_OVERRIDE_DIST_PATH has no Electron binary (${candidate})` };
  }
  const pathFile = join(pkg, 'path.txt');
  if (existsSync(join(pkg, 'dist')) && existsSync(pathFile)) {
    const exe = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
    if (existsSync(exe)) return { path: exe };
  }
  return { missing: 'the Electron binary is not installed (node_modules/electron/dist is missing and cannot be downloaded here)' };
}

/** Builds the renderer once if there is no build yet (a fresh checkout). */
export async function ensureRendererBuilt(): Promise<void> {
  if (existsSync(join(RENDERER_DIST, 'index.html'))) return;
  await run(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(ROOT, 'renderer', 'vite.config.ts'), '--logLevel', 'warn']);
}

export function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

export interface RunningClient { kind: 'browser-shell'; shell: BrowserShell; controller: AppController; close(): Promise<void> }

export async function startBrowserClient(profileDir: string, serverUrl: string, port?: number): Promise<RunningClient> {
  await ensureRendererBuilt();
  const controller = new AppController({
    profileDir, serverUrl, vault: defaultVault(profileDir),
    // The page opens the IdP in a new tab itself (window.open on the URL auth.signIn returns).
    openExternal: async () => {},
  });
  await controller.start();
  const shell = await startBrowserShell({ controller, rendererDir: RENDERER_DIST, ...(port ? { port } : {}) });
  return { kind: 'browser-shell', shell, controller, close: async () => { await shell.close(); await controller.stop(); } };
}
