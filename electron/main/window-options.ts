// The BrowserWindow options of the desktop app (its Content-Security-Policy is in electron/app/static/).
// PURE: no runtime import of 'electron' (type-only), so tests can check every hardening flag without the
// Electron binary. The webPreferences are written out literally (not built from variables) so reviewers and Electronegativity
// see each value where the window is made.
import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer's origin: a privileged, standard, secure custom scheme served from out/renderer. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'parley';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;


export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    title: 'Parley',
    width: 1120,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      enableWebSQL: false,
      plugins: false,
      spellcheck: true,
      navigateOnDragDrop: false,
      safeDialogs: true,
      autoplayPolicy: 'user-gesture-required',
    },
  };
}
