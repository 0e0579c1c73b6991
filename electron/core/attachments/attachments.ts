// Attachments in the core (Messenger.attachments): encrypt and upload a file, grant its download to the
// devices a message went to, fetch and verify a message's files, and decrypt them on demand — to a path
// or, size-capped, to memory for previews. The ciphertext stays in <profile>/attachments/<id> (0600, in a
// 0700 folder), useless without its key, which lives only in the SQLCipher store (messages.attachments).
// Nothing is saved from a file whose digest or MAC does not verify ("attachment failed its integrity check").
import { createReadStream, createWriteStream, mkdirSync, readdirSync, statSync, rmSync } from 'node:fs';
import { link, open, rename, rm, unlink } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachmentPointer } from '../../../common/wire/content.ts';
import { ciphertextSize } from '../../../common/wire/attachments.ts';
import { UsageError, type CoreContext } from '../context.ts';
import { MessageQueries } from '../store/message-queries.ts';
import { CiphertextVerifier, Decryptor, Encryptor, IntegrityError, newAttachmentKey } from './cipher.ts';
import { contentTypeFor, imageSize, isExecutable, pointerFileName, safeFileName } from './local.ts';
import { downloadCiphertext, uploadCiphertext } from './transfer.ts';

export { IntegrityError } from './cipher.ts';
export { isExecutable, safeFileName } from './local.ts';

export type UploadInput = { path: string; fileName?: string; contentType?: string } | { fileName: string; contentType?: string; bytes: Uint8Array };

/** A file as saved: what the message says about it, and where its plaintext now is. */
export interface SavedAttachment { fileName: string; contentType: string; size: number; sha256: string; path: string }

const MIB = 1024 * 1024;
const mib = (n: number) => `${n < 10 * MIB ? (n / MIB).toFixed(1) : Math.round(n / MIB)} MiB`;
/** A file this recent that no message references yet may be one being sent right now: the sweep leaves it. */
const SWEEP_GRACE_MS = 10 * 60_000;

/** Writes every chunk to `file` as well (with backpressure) and passes it on. */
class FileTee extends Transform {
  readonly #out;
  constructor(file: string) {
    super();
    this.#out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    this.#out.on('error', (err) => this.destroy(err));
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.#out.write(chunk)) done(null, chunk);
    else this.#out.once('drain', () => done(null, chunk));
  }
  override _flush(done: TransformCallback): void {
    this.#out.end(() => done());
  }
}

export class Attachments {
  readonly #dir: string;

  constructor(private readonly ctx: CoreContext, profileDir: string) {
    this.#dir = join(profileDir, 'attachments');
  }

  #file(id: string): string {
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(id)) throw new IntegrityError();
    return join(this.#dir, id);
  }

  #ensureDir(): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
  }

  /** Whether a file could run code when opened: never open it automatically (see local.ts). */
  isExecutable(fileName: string, contentType: string): boolean { return isExecutable(fileName, contentType); }

  /**
   * Encrypts the file with a fresh key and uploads the ciphertext, streaming; the pointer goes into a message
   * (Messenger.send). Refused before anything is uploaded (UsageError): an unreadable file, one over the
   * server's limit or over this user's quota.
   */
  async upload(input: UploadInput): Promise<AttachmentPointer> {
    let size: number;
    let source: () => Readable;
    let head: Buffer;
    let fileName: string;
    if ('path' in input) {
      const what = input.path;
      let handle;
      try {
        handle = await open(what, 'r');
        const st = await handle.stat();
        if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
        size = st.size;
        head = Buffer.alloc(Math.min(size, 64 * 1024));
        await handle.read(head, 0, head.length, 0);
        await handle.close();
      } catch (err) {
        await handle?.close().catch(() => {});
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'not a regular file' : e.message;
        throw new UsageError(`cannot read ${what}: ${why}`);
      }
      source = () => createReadStream(what, { highWaterMark: 256 * 1024 });
      fileName = input.fileName ?? pointerFileName(what);
    } else {
      const bytes = Buffer.from(input.bytes);
      size = bytes.length;
      head = bytes.subarray(0, 64 * 1024);
      source = () => Readable.from([bytes]);
      fileName = pointerFileName(input.fileName);
    }
    const contentType = input.contentType ?? contentTypeFor(fileName);
    const limits = await this.ctx.api.attachmentLimits();
    if (size > limits.maxBytes) throw new UsageError(`${fileName} is ${mib(size)}; this server accepts files up to ${mib(limits.maxBytes)}`);
    if (limits.usedBytes + ciphertextSize(size) > limits.quotaBytes) {
      throw new UsageError(`${fileName} would exceed your ${mib(limits.quotaBytes)} of files waiting on the server; send it once recipients have fetched earlier files`);
    }
    const key = newAttachmentKey();
    const enc = new Encryptor(key);
    // Our own copy of the ciphertext: the relay deletes the blob once the recipients fetched it.
    this.#ensureDir();
    const local = join(this.#dir, `upload-${randomBytes(12).toString('hex')}.part`);
    const tee = new FileTee(local);
    let id: string;
    try {
      const body = source();
      body.on('error', (err) => enc.destroy(err));
      enc.on('error', (err) => tee.destroy(err));
      id = await uploadCiphertext(this.ctx.api, body.pipe(enc).pipe(tee), ciphertextSize(size));
    } catch (err) {
      await rm(local, { force: true });
      throw err;
    }
    const facts = await enc.facts;
    if (facts.size !== size) {
      await rm(local, { force: true });
      throw new UsageError(`${fileName} changed while it was being sent; send it again`);
    }
    await rename(local, this.#file(id));
    const dims = contentType.startsWith('image/') ? imageSize(head) : undefined;
    return {
      id, key: key.toString('base64'), digest: facts.digest.toString('base64'), size, sha256: facts.sha256, contentType, fileName,
      ...(dims ?? {}),
    };
  }

  /**
   * After a send: the devices that got the message may download its files (PUT …/recipients), and this
   * device's copies are filed under the message. A failed grant is a warning: the message itself went.
   */
  async grant(messageId: string, pointers: readonly AttachmentPointer[], recipients: ReadonlyArray<{ userId: string; deviceId: number }>): Promise<void> {
    await this.#record(messageId, pointers.filter((p) => this.#has(p.id)));
    // Granting nobody yet (a recipient without a device) still marks the upload as sent: the relay keeps it
    // for the retention period instead of the hour an unsent upload gets, and a later send adds the devices.
    for (const p of pointers) {
      await this.ctx.api.grantAttachment(p.id, { devices: recipients.map((r) => ({ userId: r.userId, deviceId: r.deviceId })) })
        .catch((err: Error) => this.ctx.warn(`${p.fileName}: recipients may not be able to download it (${err.message})`));
    }
  }

  #has(id: string): boolean {
    try { return statSync(this.#file(id)).isFile(); } catch { return false; }
  }

  async #record(messageId: string, pointers: readonly AttachmentPointer[]): Promise<void> {
    if (pointers.length === 0) return;
    const now = this.ctx.now();
    await this.ctx.store.exclusive(async () => {
      const stmt = this.ctx.store.handle.prepare(
        'INSERT INTO attachment_files (attachment_id, message_id, size, fetched_at) VALUES (?, ?, ?, ?) ON CONFLICT (attachment_id) DO UPDATE SET message_id = excluded.message_id');
      for (const p of pointers) stmt.run([p.id, messageId, ciphertextSize(p.size), now]);
    });
  }

  /** The files of a stored message (empty if none); UsageError if there is no such message. */
  pointers(messageId: string): AttachmentPointer[] {
    const m = new MessageQueries(this.ctx.store).find(messageId);
    if (!m) throw new UsageError(`no message ${messageId}`);
    return m.attachments ?? [];
  }

  #pointer(messageId: string, index: number): AttachmentPointer {
    const all = this.pointers(messageId);
    const p = all[index];
    if (!p) throw new UsageError(`message ${messageId} has ${all.length === 0 ? 'no files' : `files 0 to ${all.length - 1}`}, not ${index}`);
    return p;
  }

  /** Fetches and verifies every file of the message not on this device yet. Returns how many were fetched. */
  async download(messageId: string): Promise<number> {
    let n = 0;
    for (const p of this.pointers(messageId)) {
      if (this.#has(p.id)) continue;
      await this.#fetch(messageId, p);
      n++;
    }
    return n;
  }

  async #fetch(messageId: string, p: AttachmentPointer): Promise<void> {
    const key = Buffer.from(p.key, 'base64');
    const bytes = ciphertextSize(p.size);
    const body = await downloadCiphertext(this.ctx.api, p.id, bytes);
    this.#ensureDir();
    const part = join(this.#dir, `${p.id}.${randomBytes(6).toString('hex')}.part`);
    try {
      await pipeline(body, new CiphertextVerifier(key, Buffer.from(p.digest, 'base64'), bytes), createWriteStream(part, { flags: 'wx', mode: 0o600 }));
      await rename(part, this.#file(p.id));
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
    await this.#record(messageId, [p]);
  }

  async #ready(messageId: string, index: number): Promise<{ p: AttachmentPointer; file: string }> {
    const p = this.#pointer(messageId, index);
    if (!this.#has(p.id)) await this.#fetch(messageId, p);
    return { p, file: this.#file(p.id) };
  }

  #decrypt(p: AttachmentPointer, file: string): Readable {
    const d = new Decryptor(Buffer.from(p.key, 'base64'), { size: p.size, sha256: p.sha256 });
    const src = createReadStream(file, { highWaterMark: 256 * 1024 });
    src.on('error', (err) => d.destroy(err));
    return src.pipe(d);
  }

  /** Decrypts file `index` of the message to `destPath` (replaced only once the whole file verified). */
  async save(messageId: string, index: number, destPath: string): Promise<SavedAttachment> {
    const { p, file } = await this.#ready(messageId, index);
    const part = join(dirname(destPath), `.parley-${randomBytes(6).toString('hex')}.part`);
    try {
      await pipeline(this.#decrypt(p, file), createWriteStream(part, { flags: 'wx', mode: 0o600 }));
      await rename(part, destPath);
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
    return { fileName: p.fileName, contentType: p.contentType, size: p.size, sha256: p.sha256, path: destPath };
  }

  /**
   * Decrypts file `index` into `dir` under its own name made safe (safeFileName), never replacing a file
   * there: "report (1).pdf" when "report.pdf" exists.
   */
  async saveInto(messageId: string, index: number, dir: string): Promise<SavedAttachment> {
    const { p, file } = await this.#ready(messageId, index);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const part = join(dir, `.parley-${randomBytes(6).toString('hex')}.part`);
    try {
      await pipeline(this.#decrypt(p, file), createWriteStream(part, { flags: 'wx', mode: 0o600 }));
      const name = safeFileName(p.fileName);
      const dot = name.lastIndexOf('.');
      const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
      for (let n = 0; ; n++) {
        const dest = join(dir, n === 0 ? name : `${stem} (${n})${ext}`);
        try {
          await link(part, dest); // fails if dest exists: never replaces a file
          return { fileName: p.fileName, contentType: p.contentType, size: p.size, sha256: p.sha256, path: dest };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 999) throw err;
        }
      }
    } finally {
      await unlink(part).catch(() => {});
    }
  }

  /** File `index` of the message in memory (previews): refused when larger than `maxBytes`. */
  async read(messageId: string, index: number, opts: { maxBytes: number }): Promise<Uint8Array> {
    const p = this.#pointer(messageId, index);
    if (p.size > opts.maxBytes) throw new UsageError(`${p.fileName} is ${mib(p.size)}, more than ${mib(opts.maxBytes)} to show here; save it instead`);
    const { file } = await this.#ready(messageId, index);
    const parts: Buffer[] = [];
    await pipeline(this.#decrypt(p, file), new Writable({ write(c: Buffer, _e, done) { parts.push(c); done(); } }));
    return new Uint8Array(Buffer.concat(parts));
  }

  /**
   * Deletes the local files no message references any longer (deleted for everyone or for me, expired) and
   * their rows. Runs at open and after deletes; returns how many files went.
   */
  async sweep(): Promise<number> {
    let names: string[];
    try { names = readdirSync(this.#dir); } catch { return 0; }
    const db = this.ctx.store.handle;
    const referenced = new Set<string>();
    for (const r of db.prepare("SELECT attachments FROM messages WHERE attachments IS NOT NULL AND attachments != ''").all() as Array<{ attachments: string }>) {
      try { for (const p of JSON.parse(r.attachments) as Array<{ id?: unknown }>) if (typeof p.id === 'string') referenced.add(p.id); } catch { /* not ours to judge */ }
    }
    const recorded = new Set((db.prepare('SELECT attachment_id FROM attachment_files').all() as Array<{ attachment_id: string }>).map((r) => r.attachment_id));
    const now = Date.now();
    let gone = 0;
    for (const name of names) {
      const id = name.split('.')[0]!;
      if (referenced.has(id)) continue;
      const path = join(this.#dir, name);
      try {
        // A file filed under a message that no longer references it goes now; one never filed (an upload or
        // download in progress, maybe in another process on this profile) only once it is old.
        if (!recorded.has(id) && now - statSync(path).mtimeMs < SWEEP_GRACE_MS) continue;
        rmSync(path, { force: true });
        gone++;
      } catch { /* gone already */ }
    }
    const stale = [...recorded].filter((id) => !referenced.has(id));
    if (stale.length > 0) {
      await this.ctx.store.exclusive(async () => {
        const del = db.prepare('DELETE FROM attachment_files WHERE attachment_id = ?');
        for (const id of stale) del.run([id]);
      });
    }
    return gone;
  }

  /** Bytes of ciphertext this device keeps. */
  localBytes(): number {
    let total = 0;
    try { for (const n of readdirSync(this.#dir)) total += statSync(join(this.#dir, n)).size; } catch { /* none */ }
    return total;
  }
}

