// Updates: electron-updater downloads, Parley decides. Nothing is installed unless our own Ed25519 release
// signature verifies against the key pinned in this build (electron/core/update/verify-before-install.ts) — on
// every OS, including Linux, where electron-updater alone only compares a hash from the same server.
import { app } from 'electron';
import electronUpdater from 'electron-updater';
import { rm, writeFile } from 'node:fs/promises';
import { verifyBeforeInstall } from '../core/update/verify-before-install.ts';

const MAX_SIG_BYTES = 4096;

export interface UpdateSettings {
  /** Base URL of the update feed (generic provider); updates stay off without one. */
  feedUrl: string | undefined;
  channel: 'stable' | 'beta';
  onRefused(reason: string): void;
  onReady(version: string): void;
}

export function setUpUpdates(s: UpdateSettings): void {
  if (!s.feedUrl || !app.isPackaged) return;
  const { autoUpdater } = electronUpdater;
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = false; // an unverified download must never be installed "on quit"
  autoUpdater.allowDowngrade = false;
  autoUpdater.setFeedURL({ provider: 'generic', url: s.feedUrl, channel: s.channel === 'beta' ? 'beta' : 'latest' });
  autoUpdater.on('update-downloaded', (info) => {
    void (async () => {
      const file = info.downloadedFile;
      try {
        const name = info.files[0]?.url;
        if (!name) throw new Error('the update metadata names no file');
        const res = await fetch(new URL(`${name}.sig`, s.feedUrl!.endsWith('/') ? s.feedUrl : `${s.feedUrl}/`), { redirect: 'error' });
        if (!res.ok) throw new Error(`no release signature (HTTP ${res.status})`);
        const sig = new Uint8Array(await res.arrayBuffer());
        if (sig.length > MAX_SIG_BYTES) throw new Error('the release signature is too large');
        await writeFile(`${file}.sig`, sig, { mode: 0o600 });
        await verifyBeforeInstall({ filePath: file, version: info.version, channel: s.channel }, { installedVersion: app.getVersion() });
        s.onReady(info.version);
        autoUpdater.quitAndInstall();
      } catch (err) {
        await rm(file, { force: true }).catch(() => undefined);
        await rm(`${file}.sig`, { force: true }).catch(() => undefined);
        s.onRefused(err instanceof Error ? ((err as { reason?: string }).reason ?? err.message) : String(err));
      }
    })();
  });
  autoUpdater.on('error', (err) => s.onRefused(err.message));
  void autoUpdater.checkForUpdates().catch((err: Error) => s.onRefused(err.message));
}
