// sendId records (finding 10: a retried send is answered with its first result) on SQLite: appended to a log
// table with no index (migrations/0014-send-records.ts) and found through an index in memory, key hash → rowid.
//
// Why not a SQLite index: sendIds are random, so every record lands on a random page of any index on them, and a
// group commit of ~1,700 sends dirtied and wrote back hundreds of index pages: ~7 µs a send on the relay, more
// than storing its envelope. An append touches the last page only.
//
// The index is rebuilt from the table when the store first needs it, and it is only a hint: every hit is read
// back by rowid and compared in full, so a stale entry (a rolled-back insert, a hash shared by two keys) never
// makes two sends one. It holds at most INDEX_CAP records, the newest: under a load that keeps more records
// than that within their two hours, the oldest can no longer be found and a retry of one is queued again —
// which the receiver drops, as it knows the message id. One server process per database, as the store assumes
// everywhere (its credential cache, its group commit).
import type { SendOnce } from '../types.ts';
import { sendKeyHash } from './send-key.ts';
import { inPieces, params, sized } from './batch-sql.ts';
import { num, str, type Sql } from './sql.ts';

/** ~40 bytes each in memory: 1,000,000 records is ~40 MiB, two hours of ~140 sends a second. */
export const INDEX_CAP = 1_000_000;
/** Expired records are swept at most this often (a DELETE per send would be a write per send). */
const SWEEP_MS = 60_000;

export interface SendRecord { rowid: number; serverTimestamp: number; expiresAt: number }
/** A record to append, with its key's hash (computed once by the caller: it is the dear part). */
export interface NewSendRecord { once: SendOnce; hash: number }

const INSERT = new Map<number, string>();

export class SqliteSendRecords {
  /** key hash → rowid (an array for the rare hash two keys share), in the order added: oldest first. */
  #index: Map<number, number | number[]> | undefined;
  #sweptAt = 0;

  constructor(private readonly q: Sql, private readonly cap = INDEX_CAP) {}

  static hash(o: { userId: string; deviceId: number; sendId: string }): number {
    return sendKeyHash(o.userId, o.deviceId, o.sendId);
  }

  /** The record of this key, expired or not. Synchronous: call inside one of the store's own operations. */
  find(o: { userId: string; deviceId: number; sendId: string }, hash = SqliteSendRecords.hash(o)): SendRecord | undefined {
    const hit = this.#loaded().get(hash);
    if (hit === undefined) return undefined;
    for (const rowid of typeof hit === 'number' ? [hit] : hit) {
      const r = this.q.get('SELECT user_id, device_id, send_id, server_timestamp, expires_at FROM sends WHERE id = $rowid', { rowid });
      if (r && str(r.user_id) === o.userId && num(r.device_id) === o.deviceId && str(r.send_id) === o.sendId) {
        return { rowid, serverTimestamp: num(r.server_timestamp), expiresAt: num(r.expires_at) };
      }
    }
    return undefined;
  }

  /**
   * Appends the records (the caller found no live one for their keys: `replacing` are the rowids of expired
   * ones, deleted first). Inside the caller's write transaction.
   */
  add(records: NewSendRecord[], replacing: number[] = []): void {
    for (const rowid of replacing) this.q.run('DELETE FROM sends WHERE id = $rowid', { rowid });
    if (records.length === 0) return;
    let rowid = num(this.q.get('SELECT coalesce(max(id), 0) AS last FROM sends')!.last) + 1;
    const first = rowid;
    inPieces(records, (piece) => this.q.run(
      sized(INSERT, piece.length, (rows) => `INSERT INTO sends (id, key_hash, user_id, device_id, send_id, server_timestamp, expires_at) VALUES ${rows}`, 7),
      params(piece, 7, (p, at, { once: o, hash }) => {
        p[at] = rowid++; p[at + 1] = hash; p[at + 2] = o.userId; p[at + 3] = o.deviceId; p[at + 4] = o.sendId;
        p[at + 5] = o.serverTimestamp; p[at + 6] = o.expiresAt;
      }),
    ));
    // Indexed only once written: an entry for a row that is later rolled back is harmless (find reads it back).
    const index = this.#loaded();
    records.forEach(({ hash }, i) => this.#put(index, hash, first + i));
    this.#trim(index);
  }

  /** Deletes the records expired by `now` from the oldest on, at most once a minute. Inside a write transaction. */
  sweep(now: number): void {
    if (now - this.#sweptAt <= SWEEP_MS) return;
    this.#sweptAt = now;
    // Records are appended in time order, so the expired ones are (all but a clock step's worth) the oldest rows.
    const live = this.q.get('SELECT id FROM sends WHERE expires_at > $now ORDER BY id LIMIT 1', { now });
    const boundary = live ? num(live.id) : num(this.q.get('SELECT coalesce(max(id), 0) + 1 AS b FROM sends')!.b);
    this.q.run('DELETE FROM sends WHERE id < $boundary', { boundary });
    if (!this.#index) return;
    for (const [hash, hit] of this.#index) {
      if (typeof hit === 'number') {
        if (hit >= boundary) break; // added in rowid order: the rest are newer
        this.#index.delete(hash);
      } else {
        const kept = hit.filter((r) => r >= boundary);
        if (kept.length === 0) this.#index.delete(hash); else this.#index.set(hash, kept.length === 1 ? kept[0]! : kept);
      }
    }
  }

  #loaded(): Map<number, number | number[]> {
    if (this.#index) return this.#index;
    const index = new Map<number, number | number[]>();
    const rows = this.q.all('SELECT id, key_hash FROM sends ORDER BY id DESC LIMIT $cap', { cap: this.cap });
    for (let i = rows.length - 1; i >= 0; i--) this.#put(index, num(rows[i]!.key_hash), num(rows[i]!.id));
    this.#index = index;
    return index;
  }

  #put(index: Map<number, number | number[]>, hash: number, rowid: number): void {
    const hit = index.get(hash);
    if (hit === undefined) index.set(hash, rowid);
    else index.set(hash, typeof hit === 'number' ? [hit, rowid] : [...hit, rowid]);
  }

  /** Over the cap, the oldest entries go (their records stay in the table until swept, but are no longer found). */
  #trim(index: Map<number, number | number[]>): void {
    if (index.size <= this.cap) return;
    for (const hash of index.keys()) {
      index.delete(hash);
      if (index.size <= this.cap) return;
    }
  }
}
