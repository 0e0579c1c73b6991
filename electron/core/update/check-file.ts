// Verifying an update artifact on disk against its `.sig` (file I/O + verifyUpdate). No pinned-key import:
// callers pass the keys (verify-before-install.ts passes the pinned ones; the release CLI its --public-key).
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MAX_SIG_BYTES, verifyUpdate, type VerifyResult } from './signature.ts';

export interface DownloadedUpdate {
  /** The downloaded installer/AppImage/zip. */
  filePath: string;
  /** The version the update metadata (latest.yml) announced. */
  version: string;
  /** The channel the app asked for (stable | beta | dev). */
  channel: string;
  /** The downloaded signature; default `${filePath}.sig`. */
  sigPath?: string;
}

const O_NOFOLLOW = fsConstants.O_NOFOLLOW ?? 0;

/** SHA-256 (hex) of a file, streamed (installers are large). Does not follow a symlink at `path`. */
export async function sha256File(path: string): Promise<string> {
  const fh = await open(path, fsConstants.O_RDONLY | O_NOFOLLOW);
  try {
    const hash = createHash('sha256');
    for await (const chunk of fh.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await fh.close();
  }
}

/** Reads a `.sig` file, refusing anything larger than MAX_SIG_BYTES (a hostile mirror could serve gigabytes). */
export async function readSigFile(path: string): Promise<Buffer> {
  const fh = await open(path, fsConstants.O_RDONLY | O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(MAX_SIG_BYTES + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/**
 * The verdict on a file and its `.sig`, never throwing. `installedVersion` is optional here (the release CLI
 * checks artifacts without an installed app); the updater goes through verifyBeforeInstall, where it is required.
 */
export async function checkUpdateFile(update: DownloadedUpdate, opts: { publicKeys: readonly string[]; installedVersion?: string }): Promise<VerifyResult> {
  const sigPath = update.sigPath ?? `${update.filePath}.sig`;
  let sig: Buffer;
  try {
    sig = await readSigFile(sigPath);
  } catch (err) {
    return { ok: false, reason: `the update's signature file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): ${sigPath}` };
  }
  let sha256: string;
  try {
    sha256 = await sha256File(update.filePath);
  } catch (err) {
    return { ok: false, reason: `the downloaded update cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): ${update.filePath}` };
  }
  return verifyUpdate({
    file: { sha256 },
    sig,
    publicKeys: opts.publicKeys,
    expectedVersion: update.version,
    expectedChannel: update.channel,
    ...(opts.installedVersion !== undefined ? { installedVersion: opts.installedVersion } : {}),
  });
}
