// Reads a SQLCipher 4 database file page by page with its raw key, the way someone holding the key and a copy
// of the file would — free pages and the write-ahead log included, which no SQL query shows. SQLCipher 4
// defaults: 4096-byte pages, each AES-256-CBC under the raw key with its own 16-byte IV, followed by a
// 64-byte HMAC-SHA512 (80 reserved bytes); page 1 starts with the 16-byte salt instead of the SQLite header's
// first 16 bytes. Used to prove deleted text is gone from the bytes, not just from query results.
import { createDecipheriv } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

const PAGE = 4096;
const RESERVE = 80;
const IV = 16;

/** Decrypts one page image (as stored in the database file or a WAL frame); `first`: it is page 1. */
export function decryptPage(page: Uint8Array, key: Uint8Array, first: boolean): Buffer {
  const start = first ? 16 : 0;
  const iv = page.subarray(PAGE - RESERVE, PAGE - RESERVE + IV);
  const d = createDecipheriv('aes-256-cbc', key, iv);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(page.subarray(start, PAGE - RESERVE)), d.final()]);
}

/** Every page of the database file, decrypted. */
export function decryptedPages(path: string, key: Uint8Array): Buffer[] {
  const file = readFileSync(path);
  const pages: Buffer[] = [];
  for (let off = 0; off + PAGE <= file.length; off += PAGE) pages.push(decryptPage(file.subarray(off, off + PAGE), key, off === 0));
  return pages;
}

/** Every page image still in the write-ahead log (32-byte header, then frames: 24-byte header + a page). */
export function decryptedWalFrames(path: string, key: Uint8Array): Buffer[] {
  const wal = `${path}-wal`;
  if (!existsSync(wal)) return [];
  const bytes = readFileSync(wal);
  const frames: Buffer[] = [];
  for (let off = 32; off + 24 + PAGE <= bytes.length; off += 24 + PAGE) {
    const pageNo = bytes.readUInt32BE(off);
    frames.push(decryptPage(bytes.subarray(off + 24, off + 24 + PAGE), key, pageNo === 1));
  }
  return frames;
}

/** The pages (file and WAL) whose plaintext contains `needle` (UTF-8), by index. */
export function pagesContaining(path: string, key: Uint8Array, needle: string): { file: number[]; wal: number[] } {
  const n = Buffer.from(needle, 'utf8');
  const hits = (pages: Buffer[]) => pages.flatMap((p, i) => (p.includes(n) ? [i] : []));
  return { file: hits(decryptedPages(path, key)), wal: hits(decryptedWalFrames(path, key)) };
}
