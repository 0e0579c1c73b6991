// The server's data directory holds the SQLite database (with its WAL) and the lease signing key: readable by the
// server's own user only (finding 10: the database and WAL were 0644). New ones are made 0700/0600 whatever the
// umask; looser existing ones (made by an older version, or copied carelessly) are tightened at start.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

const POSIX = process.platform !== 'win32';

/** Tightens `path` to `mode` if group or others have any access; a path owned by someone else is left as it is. */
function tighten(path: string, mode: number): void {
  if (!POSIX || (statSync(path).mode & 0o077) === 0) return;
  try {
    chmodSync(path, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err; // not ours: the operator chose its owner and mode
  }
}

/** Creates the data directory (0700) or tightens an existing one. */
export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700);
}

/**
 * A file only the server's user may read: created empty with 0600 if `create` and it is missing, else tightened
 * if it exists. (SQLite gives its -wal and -shm files the mode of the database file.)
 */
export function securePrivateFile(path: string, opts: { create?: boolean } = {}): void {
  if (!existsSync(path)) {
    if (opts.create) closeSync(openSync(path, 'a', 0o600));
    return;
  }
  tighten(path, 0o600);
}
