// The client's encrypted local store: one SQLCipher 4 file holding messages, conversations, contacts,
// all Signal protocol state and the server credential. Its key is 32 random bytes that exist on disk
// only inside a SecretVault (getStoreKey is the single path to it, like Signal Desktop's getSQLKey).
import Database, { setLogger } from '@signalapp/sqlcipher';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretVault } from './vault.ts';
import { MIGRATIONS, toContact, toConversation, toMessage, type Contact, type Conversation, type MessageFlag, type Row, type StoredMessage, type VerifiedIdentity } from './schema.ts';

export type { Contact, Conversation, Direction, MessageFlag, MessageKind, StoredMessage, VerifiedIdentity } from './schema.ts';

/** A message to add: `kind` defaults to 'system' for system messages, else 'message'. */
export type NewMessage = Omit<StoredMessage, 'seq' | 'kind'> & { kind?: StoredMessage['kind']; senderKey?: string };

export const STORE_FILE = 'parley.db';

// SQLCipher reports a wrong key on stderr as well as by error code; the error code is what we act on.
setLogger(() => {});
const KEY_NAME = 'store-key';

export class StoreError extends Error {
  constructor(readonly code: 'wrong-key' | 'key-missing' | 'corrupt', message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

/** The only way to the store key: made once at first run, afterwards only ever read from the vault. */
export async function getStoreKey(vault: SecretVault, dbPath: string): Promise<Uint8Array> {
  const existing = await vault.load(KEY_NAME);
  if (existing) {
    if (existing.length !== 32) throw new StoreError('corrupt', 'the stored key has the wrong length');
    return existing;
  }
  if (existsSync(dbPath)) {
    throw new StoreError('key-missing', 'the key of the local store is missing from the vault; this device must be set up again (parley login)');
  }
  const key = new Uint8Array(randomBytes(32));
  await vault.save(KEY_NAME, key);
  return key;
}

export async function destroyStoreKey(vault: SecretVault): Promise<void> {
  await vault.destroy(KEY_NAME);
}

/** SQLite parameters must be backed by a plain ArrayBuffer. */
const blob = (u: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(u);
const bytes = (v: unknown): Uint8Array => {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  throw new StoreError('corrupt', 'expected a blob');
};

/**
 * The profile folder 0700 and the store's files 0600, also when the folder already existed (mkdir's mode
 * applies only to a folder it creates) and whatever the umask. The file is created before SQLite opens it,
 * since SQLite creates it, and its -wal and -shm files after its mode, with the umask applied.
 */
function ownerOnly(dir: string, path: string): void {
  if (process.platform === 'win32') return;
  chmodSync(dir, 0o700);
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

export class LocalStore {
  /** Marks the async context that holds the write transaction, so nested exclusive() calls just run. */
  private readonly inTransaction = new AsyncLocalStorage<true>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: Database, readonly path: string) {}

  /** Opens (or creates) the encrypted store in `dir`. A wrong key fails before anything is written. */
  static async open(dir: string, vault: SecretVault): Promise<LocalStore> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, STORE_FILE);
    const key = await getStoreKey(vault, path);
    ownerOnly(dir, path);
    try {
      const store = LocalStore.openWithKey(path, key);
      ownerOnly(dir, path);
      return store;
    } finally {
      key.fill(0); // SQLCipher keeps its own copy; ours must not linger in memory
    }
  }

  static openWithKey(path: string, key: Uint8Array): LocalStore {
    // Cached statements: the store runs the same few statements all the time (2× faster inserts).
    const db = new Database(path, { cacheStatements: true });
    try {
      db.pragma(`key = "x'${Buffer.from(key).toString('hex')}'"`);
      // Before the first read: another process on this profile may hold the lock for a moment (a write, or
      // the checkpoint of a connection that is closing), and opening must wait for it, not fail.
      db.pragma('busy_timeout = 10000');
      // The first read decides: with a wrong key SQLCipher reports "file is not a database".
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (err) {
      db.close();
      const msg = err instanceof Error ? err.message : String(err);
      if (/not a database|SQLITE_NOTADB/i.test(msg)) {
        throw new StoreError('wrong-key', `cannot open the local store ${path}: wrong key or not a Parley store (nothing was changed)`);
      }
      throw new StoreError('corrupt', `cannot open the local store ${path}: ${msg}`);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    const store = new LocalStore(db, path);
    store.migrate();
    return store;
  }

  private migrate(): void {
    const version = Number(this.db.pragma('user_version', { simple: true }) ?? 0);
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  close(): void {
    this.db.close();
  }

  /**
   * The open database, for the store's query modules (message-queries.ts and the like) that keep this file
   * short. Their writes must run inside exclusive(), like every write here.
   */
  get handle(): Database {
    return this.db;
  }

  /**
   * Runs `fn` inside one write transaction (BEGIN IMMEDIATE), serialized with every other call in this
   * process and, through SQLite's lock, with other processes on the same profile (CLI next to the app).
   * All-or-nothing: a crash or throw leaves the protocol state as it was before. Every write of the
   * client goes through here, so one caller's rollback never takes another caller's write with it.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction.getStore()) return fn();
    const run = () => this.inTransaction.run(true, async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn();
        this.db.exec('COMMIT');
        return out;
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      }
    });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  // ---- meta (account, credential, counters) ----
  getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get([key]) as Row | undefined;
    return row ? String(row.value) : undefined;
  }
  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run([key, value]);
  }
  deleteMeta(key: string): void {
    this.db.prepare('DELETE FROM meta WHERE key = ?').run([key]);
  }
  getJson<T>(key: string): T | undefined {
    const v = this.getMeta(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  setJson(key: string, value: unknown): void {
    this.setMeta(key, JSON.stringify(value));
  }

  // ---- protocol keys ----
  putPreKeys(keys: { keyId: number; publicKey: Uint8Array; privateKey: Uint8Array }[]): void {
    const stmt = this.db.prepare('INSERT OR REPLACE INTO prekeys (key_id, public_key, private_key) VALUES (?, ?, ?)');
    this.atomically(() => { for (const k of keys) stmt.run([k.keyId, blob(k.publicKey), blob(k.privateKey)]); });
  }
  getPreKey(keyId: number): { publicKey: Uint8Array; privateKey: Uint8Array } | undefined {
    const row = this.db.prepare('SELECT public_key, private_key FROM prekeys WHERE key_id = ?').get([keyId]) as Row | undefined;
    return row ? { publicKey: bytes(row.public_key), privateKey: bytes(row.private_key) } : undefined;
  }
  removePreKey(keyId: number): void {
    this.db.prepare('DELETE FROM prekeys WHERE key_id = ?').run([keyId]);
  }
  putSignedPreKey(k: { keyId: number; publicKey: Uint8Array; privateKey: Uint8Array; signature: Uint8Array }, now: number): void {
    this.db.prepare('INSERT OR REPLACE INTO signed_prekeys (key_id, public_key, private_key, signature, created_at) VALUES (?, ?, ?, ?, ?)')
      .run([k.keyId, blob(k.publicKey), blob(k.privateKey), blob(k.signature), now]);
  }
  /** Every signed prekey this device still holds, oldest first. */
  signedPreKeys(): { keyId: number; publicKey: Uint8Array; signature: Uint8Array; createdAt: number }[] {
    return (this.db.prepare('SELECT key_id, public_key, signature, created_at FROM signed_prekeys ORDER BY created_at, key_id').all() as Row[])
      .map((r) => ({ keyId: Number(r.key_id), publicKey: bytes(r.public_key), signature: bytes(r.signature), createdAt: Number(r.created_at) }));
  }
  removeSignedPreKey(keyId: number): void {
    this.db.prepare('DELETE FROM signed_prekeys WHERE key_id = ?').run([keyId]);
  }
  getSignedPreKey(keyId: number): { publicKey: Uint8Array; privateKey: Uint8Array } | undefined {
    const row = this.db.prepare('SELECT public_key, private_key FROM signed_prekeys WHERE key_id = ?').get([keyId]) as Row | undefined;
    return row ? { publicKey: bytes(row.public_key), privateKey: bytes(row.private_key) } : undefined;
  }
  getSession(address: string): string | undefined {
    const row = this.db.prepare('SELECT record FROM sessions WHERE address = ?').get([address]) as Row | undefined;
    return row ? String(row.record) : undefined;
  }
  putSession(address: string, record: string): void {
    this.db.prepare('INSERT INTO sessions (address, record) VALUES (?, ?) ON CONFLICT(address) DO UPDATE SET record = excluded.record').run([address, record]);
  }
  removeSession(address: string): void {
    this.db.prepare('DELETE FROM sessions WHERE address = ?').run([address]);
  }
  getPeerIdentity(userId: string, deviceId: number): Uint8Array | undefined {
    const row = this.db.prepare('SELECT identity_key FROM peer_identities WHERE user_id = ? AND device_id = ?').get([userId, deviceId]) as Row | undefined;
    return row ? bytes(row.identity_key) : undefined;
  }
  putPeerIdentity(userId: string, deviceId: number, key: Uint8Array, now: number): void {
    this.db.prepare(`INSERT INTO peer_identities (user_id, device_id, identity_key, first_seen) VALUES (?, ?, ?, ?)
      ON CONFLICT(user_id, device_id) DO UPDATE SET identity_key = excluded.identity_key, first_seen = excluded.first_seen`)
      .run([userId, deviceId, blob(key), now]);
  }
  peerIdentityKeys(userId: string): { deviceId: number; key: Uint8Array }[] {
    return (this.db.prepare('SELECT device_id, identity_key FROM peer_identities WHERE user_id = ? ORDER BY device_id').all([userId]) as Row[])
      .map((r) => ({ deviceId: Number(r.device_id), key: bytes(r.identity_key) }));
  }

  // ---- contacts and conversations ----
  upsertContact(c: { userId: string; email: string; name: string }, now: number): void {
    this.db.prepare(`INSERT INTO contacts (user_id, email, name, verified_identity, updated_at) VALUES (?, ?, ?, NULL, ?)
      ON CONFLICT(user_id) DO UPDATE SET email = excluded.email, name = excluded.name, updated_at = excluded.updated_at`)
      .run([c.userId, c.email, c.name, now]);
  }
  getContact(userId: string): Contact | undefined {
    const r = this.db.prepare('SELECT * FROM contacts WHERE user_id = ?').get([userId]) as Row | undefined;
    return r ? toContact(r) : undefined;
  }
  findContactByEmail(email: string): Contact | undefined {
    const r = this.db.prepare('SELECT * FROM contacts WHERE lower(email) = lower(?) ORDER BY updated_at DESC LIMIT 1').get([email]) as Row | undefined;
    return r ? toContact(r) : undefined;
  }
  setVerifiedIdentity(userId: string, verified: VerifiedIdentity | null): void {
    this.db.prepare('UPDATE contacts SET verified_identity = ? WHERE user_id = ?').run([verified ? JSON.stringify(verified) : null, userId]);
  }

  ensureConversation(c: { id: string; kind: string; peerUserId: string | null; title: string }, now: number): void {
    this.db.prepare(`INSERT INTO conversations (id, kind, peer_user_id, title, last_message_at, unread) VALUES (?, ?, ?, ?, ?, 0)
      ON CONFLICT(id) DO UPDATE SET title = excluded.title`).run([c.id, c.kind, c.peerUserId, c.title, now]);
  }
  listConversations(): Conversation[] {
    return (this.db.prepare('SELECT * FROM conversations ORDER BY last_message_at DESC').all() as Row[]).map(toConversation);
  }

  /** Adds a message unless one with the same id exists; returns false for a duplicate. */
  addMessage(m: NewMessage): boolean {
    const seq = Number(this.db.prepare('SELECT coalesce(max(seq), 0) + 1 AS s FROM messages WHERE conversation_id = ?').get([m.conversationId])!.s);
    const r = this.db.prepare(`INSERT OR IGNORE INTO messages (id, conversation_id, sender_user_id, sender_device_id, direction, body,
      sent_at, received_at, status, seq, flag, sender_key, kind, reply_to, reply_author, reply_excerpt, attachments, expires_in, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run([m.id, m.conversationId, m.senderUserId, m.senderDeviceId, m.direction, m.body, m.sentAt, m.receivedAt, m.status, seq,
        m.flag ?? null, m.flag ? (m.senderKey ?? null) : null, m.kind ?? (m.direction === 'system' ? 'system' : 'message'),
        m.replyTo?.messageId ?? null, m.replyTo?.author ?? null, m.replyTo?.excerpt ?? null,
        m.attachments && m.attachments.length > 0 ? JSON.stringify(m.attachments) : null, m.expiresIn ?? null, m.expiresAt ?? null]);
    if (r.changes === 0) return false;
    this.db.prepare(`UPDATE conversations SET last_message_at = max(last_message_at, ?), unread = unread + ? WHERE id = ?`)
      .run([m.receivedAt, m.direction === 'in' ? 1 : 0, m.conversationId]);
    return true;
  }
  /** Our 1:1 messages that wait for their recipient's first active device or, written offline, to be sent ('queued'), oldest first. Its WHERE matches the partial index messages_pending (migration 0007). */
  waitingMessages(peerUserId?: string): { id: string; peerUserId: string; body: string; sentAt: number; status: string }[] {
    return (this.db.prepare(`SELECT m.id, c.peer_user_id, m.body, m.sent_at, m.status FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.status IN ('waiting', 'queued') AND m.direction = 'out' AND c.peer_user_id IS NOT NULL AND (? IS NULL OR c.peer_user_id = ?)
      ORDER BY m.sent_at, m.seq`)
      .all([peerUserId ?? null, peerUserId ?? null]) as Row[])
      .map((r) => ({ id: String(r.id), peerUserId: String(r.peer_user_id), body: String(r.body), sentAt: Number(r.sent_at), status: String(r.status) }));
  }
  /** Held messages from `userId`: which device and identity key (base64) each came under. */
  heldMessages(userId: string): { id: string; deviceId: number; senderKey: string | null }[] {
    return (this.db.prepare(`SELECT id, sender_device_id, sender_key FROM messages WHERE sender_user_id = ? AND flag = 'held'`).all([userId]) as Row[])
      .map((r) => ({ id: String(r.id), deviceId: Number(r.sender_device_id), senderKey: r.sender_key === null ? null : String(r.sender_key) }));
  }
  setFlag(id: string, flag: MessageFlag | null): void {
    this.db.prepare('UPDATE messages SET flag = ? WHERE id = ?').run([flag, id]);
  }
  advanceStatus(id: string, from: string, to: string): void {
    this.db.prepare('UPDATE messages SET status = ? WHERE id = ? AND status = ?').run([to, id, from]);
  }
  markRead(conversationId: string): void {
    this.db.prepare('UPDATE conversations SET unread = 0 WHERE id = ?').run([conversationId]);
  }
  lastMessage(conversationId: string): StoredMessage | undefined {
    const r = this.db.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1').get([conversationId]) as Row | undefined;
    return r ? toMessage(r) : undefined;
  }
  getConversation(id: string): Conversation | undefined {
    const r = this.db.prepare('SELECT * FROM conversations WHERE id = ?').get([id]) as Row | undefined;
    return r ? toConversation(r) : undefined;
  }
  /** Marks our own sent messages in a conversation delivered; returns the ids that changed. */
  markDelivered(conversationId: string, messageIds: string[]): string[] {
    const changed: string[] = [];
    const stmt = this.db.prepare(`UPDATE messages SET status = 'delivered'
      WHERE id = ? AND conversation_id = ? AND direction = 'out' AND status IN ('sending', 'sent')`);
    this.atomically(() => {
      for (const id of messageIds) if (stmt.run([id, conversationId]).changes > 0) changed.push(id);
    });
    return changed;
  }
  messages(conversationId: string, limit = 100, beforeSeq?: number): StoredMessage[] {
    const rows = this.db.prepare(`SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`)
      .all([conversationId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit]) as Row[];
    return rows.reverse().map(toMessage);
  }
  countMessages(): number {
    return Number(this.db.prepare('SELECT count(*) AS n FROM messages').get()!.n);
  }

  isEnvelopeProcessed(server: string, envelopeId: string): boolean {
    return this.db.prepare('SELECT 1 FROM processed_envelopes WHERE server = ? AND envelope_id = ?').get([server, envelopeId]) !== undefined;
  }
  markEnvelopeProcessed(server: string, envelopeId: string, now: number): void {
    this.db.prepare('INSERT OR IGNORE INTO processed_envelopes (server, envelope_id, processed_at) VALUES (?, ?, ?)').run([server, envelopeId, now]);
  }

  /** For benchmarks and bulk imports: many inserts in one transaction. */
  bulk(fn: () => void): void {
    this.atomically(fn);
  }

  /** A synchronous all-or-nothing step; inside exclusive() the outer transaction already covers it. */
  private atomically(fn: () => void): void {
    if (this.inTransaction.getStore()) fn();
    else this.db.transaction(fn)();
  }
}
