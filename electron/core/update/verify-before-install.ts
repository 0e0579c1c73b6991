// The check the updater runs on a downloaded update BEFORE installing it (file I/O; no 'electron' import —
// the shell wires it to electron-updater, see docs/release.md "How the app verifies before installing").
//
// Reads `<file>.sig` (or `sigPath`), hashes the downloaded file while streaming it, and verifies it against
// the keys pinned in this build. Throws UpdateRefusedError with a one-line reason when anything is off; the
// caller must then delete the download and not install it.
import { checkUpdateFile, type DownloadedUpdate } from './check-file.ts';
import type { VerifyResult } from './signature.ts';
import { PINNED_UPDATE_KEYS } from './pinned-keys.ts';

export type { DownloadedUpdate } from './check-file.ts';

export class UpdateRefusedError extends Error {
  override name = 'UpdateRefusedError';
  constructor(readonly reason: string) { super(`update refused: ${reason}`); }
}

export interface VerifyOptions {
  /** The running app's version (app.getVersion()); the update must be strictly newer. */
  installedVersion: string;
  /** Default: the keys pinned at build time. Tests pass their own. */
  publicKeys?: readonly string[];
}

/** The verdict without throwing (for logging/UI); same checks as verifyBeforeInstall. */
export async function checkBeforeInstall(update: DownloadedUpdate, opts: VerifyOptions): Promise<VerifyResult> {
  if (typeof opts.installedVersion !== 'string') return { ok: false, reason: 'the installed version is unknown, so a downgrade cannot be ruled out' };
  return checkUpdateFile(update, { publicKeys: opts.publicKeys ?? PINNED_UPDATE_KEYS, installedVersion: opts.installedVersion });
}

/** The updater calls this before installing; resolves only when the update verified. */
export async function verifyBeforeInstall(update: DownloadedUpdate, opts: VerifyOptions): Promise<void> {
  const r = await checkBeforeInstall(update, opts);
  if (!r.ok) throw new UpdateRefusedError(r.reason);
}
