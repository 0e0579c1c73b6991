// The sends of one group commit (server/delivery.ts) stored with a few statements instead of three or four per
// send: on the relay's 1:1 path a statement call cost more than the row it wrote (the insert, its savepoint and
// release, the device-state check in each insert). The outcome is the one storeOnce/store give send by send, in
// the same order, with the same ids. Runs inside the caller's transaction (the write lock is held), so the device
// states and the sendId records read here cannot change before the rows go in.
import type { NewEnvelope, PendingSend, SendOnce, StoredEnvelope } from '../types.ts';
import { num, str, type ParamList, type Sql } from './sql.ts';

/** Rows per multi-row statement; a shorter tail goes in power-of-two pieces, so few statement texts are kept. */
const CHUNK = 64;

/** `n` rows of `cols` placeholders. */
const tuples = (n: number, cols: number) => Array.from({ length: n }, () => `(${Array(cols).fill('?').join(',')})`).join(',');

/** Splits `items` into pieces of CHUNK, then 32, 16, … 1, and calls `fn` with each piece. */
function inPieces<T>(items: T[], fn: (piece: T[]) => void): void {
  let i = 0;
  for (let size = CHUNK; size >= 1; size /= 2) {
    while (items.length - i >= size) {
      fn(items.slice(i, i + size));
      i += size;
      if (size < CHUNK) break; // at most one piece of each smaller size
    }
  }
}

const sendKey = (o: SendOnce) => `${o.userId}/${o.deviceId}/${o.sendId}`;
const deviceKey = (userId: string, deviceId: number) => `${userId}/${deviceId}`;

/** sendId records of these sends as stored now (expired ones included: the caller decides). */
function existingSends(q: Sql, once: SendOnce[]): Map<string, { serverTimestamp: number; expiresAt: number }> {
  const found = new Map<string, { serverTimestamp: number; expiresAt: number }>();
  inPieces(once, (piece) => {
    const rows = q.all(
      `SELECT s.user_id, s.device_id, s.send_id, s.server_timestamp, s.expires_at FROM (VALUES ${tuples(piece.length, 3)}) AS v
       JOIN sends AS s ON s.user_id = v.column1 AND s.device_id = v.column2 AND s.send_id = v.column3`,
      piece.flatMap((o): ParamList => [o.userId, o.deviceId, o.sendId]),
    );
    for (const r of rows) {
      found.set(`${str(r.user_id)}/${num(r.device_id)}/${str(r.send_id)}`, { serverTimestamp: num(r.server_timestamp), expiresAt: num(r.expires_at) });
    }
  });
  return found;
}

/** Destinations among these that exist and are not active (wiped, revoked, …): nothing is queued for them. */
function inactiveDevices(q: Sql, envelopes: NewEnvelope[]): Set<string> {
  const distinct = new Map<string, [string, number]>();
  for (const e of envelopes) distinct.set(deviceKey(e.destUser, e.destDevice), [e.destUser, e.destDevice]);
  const inactive = new Set<string>();
  inPieces([...distinct.values()], (piece) => {
    const rows = q.all(
      `SELECT d.user_id, d.device_id FROM (VALUES ${tuples(piece.length, 2)}) AS v
       JOIN devices AS d ON d.user_id = v.column1 AND d.device_id = v.column2 WHERE d.state != 'active'`,
      piece.flat(),
    );
    for (const r of rows) inactive.add(deviceKey(str(r.user_id), num(r.device_id)));
  });
  return inactive;
}

/**
 * Stores the sends in order and returns what each came to. Ids are handed out here, after the table's
 * AUTOINCREMENT counter, in the order the envelopes come: the same ids the inserts one by one would have taken.
 */
export function storeBatch(q: Sql, sends: PendingSend[]): ({ stored: StoredEnvelope[] } | { duplicateOf: number })[] {
  const once = sends.flatMap((s) => (s.once ? [s.once] : []));
  const earlier = once.length > 0 ? existingSends(q, once) : new Map<string, { serverTimestamp: number; expiresAt: number }>();
  const claimed = new Map<string, number>(); // sendIds taken by this batch: a second send with one is its duplicate
  const toRecord: SendOnce[] = [];
  const results: ({ stored: StoredEnvelope[] } | { duplicateOf: number })[] = [];
  const toStore: NewEnvelope[][] = [];
  for (const s of sends) {
    if (s.once) {
      const k = sendKey(s.once);
      const mine = claimed.get(k);
      const before = earlier.get(k);
      if (mine !== undefined) { results.push({ duplicateOf: mine }); continue; }
      if (before && before.expiresAt > s.once.now) { results.push({ duplicateOf: before.serverTimestamp }); continue; }
      claimed.set(k, s.once.serverTimestamp);
      toRecord.push(s.once);
    }
    const stored: StoredEnvelope[] = [];
    results.push({ stored });
    toStore.push(s.envelopes);
  }
  inPieces(toRecord, (piece) => q.run(
    `INSERT INTO sends (user_id, device_id, send_id, server_timestamp, expires_at) VALUES ${tuples(piece.length, 5)}
     ON CONFLICT (user_id, device_id, send_id) DO UPDATE SET server_timestamp = excluded.server_timestamp, expires_at = excluded.expires_at`,
    piece.flatMap((o): ParamList => [o.userId, o.deviceId, o.sendId, o.serverTimestamp, o.expiresAt]),
  ));

  const all = toStore.flat();
  if (all.length === 0) return results;
  const inactive = inactiveDevices(q, all);
  let nextId = num(q.get(`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'envelopes'), 0) AS seq`)!.seq) + 1;
  const rows: StoredEnvelope[] = [];
  let r = 0;
  for (const result of results) {
    if (!('stored' in result)) continue;
    for (const e of toStore[r++]!) {
      if (inactive.has(deviceKey(e.destUser, e.destDevice))) continue;
      const row = { ...e, id: nextId++ };
      result.stored.push(row);
      rows.push(row);
    }
  }
  inPieces(rows, (piece) => q.run(
    `INSERT INTO envelopes (id, dest_user, dest_device, source_user, source_device, type, content, server_timestamp, group_id, about_group, deliver_after)
     VALUES ${tuples(piece.length, 11)}`,
    piece.flatMap((e): ParamList => [
      e.id, e.destUser, e.destDevice, e.sourceUser, e.sourceDevice, e.type, e.content, e.serverTimestamp, e.groupId ?? null, e.aboutGroup ?? null,
      e.deliverAfter ?? null,
    ]),
  ));
  return results;
}
