// The sends of one group commit (server/delivery.ts) stored with a few statements instead of three or four per
// send: on the relay's 1:1 path a statement call cost more than the row it wrote (the insert, its savepoint and
// release, the device-state check in each insert). The outcome is the one storeOnce/store give send by send, in
// the same order, with the same ids. Runs inside the caller's transaction (the write lock is held), so the device
// states and the sendId records read here cannot change before the rows go in.
import type { NewEnvelope, PendingSend, SendOnce, StoredEnvelope } from '../types.ts';
import { SqliteSendRecords, type NewSendRecord } from './send-records.ts';
import { inPieces, params, sized } from './batch-sql.ts';
import { num, str, type Sql } from './sql.ts';

const SELECT_INACTIVE = new Map<number, string>();
const INSERT_ENVELOPES = new Map<number, string>();

/** `e` with its id, built field by field (an object spread was the dearest line of the loop). */
function withId(e: NewEnvelope, id: number): StoredEnvelope {
  const row: StoredEnvelope = {
    id, destUser: e.destUser, destDevice: e.destDevice, sourceUser: e.sourceUser, sourceDevice: e.sourceDevice, type: e.type, content: e.content,
    serverTimestamp: e.serverTimestamp,
  };
  if (e.groupId !== undefined) row.groupId = e.groupId;
  if (e.aboutGroup !== undefined) row.aboutGroup = e.aboutGroup;
  if (e.deliverAfter !== undefined) row.deliverAfter = e.deliverAfter;
  if (e.contentBase64 !== undefined) row.contentBase64 = e.contentBase64;
  return row;
}

const sendKey = (o: SendOnce) => `${o.userId}/${o.deviceId}/${o.sendId}`;
const deviceKey = (userId: string, deviceId: number) => `${userId}/${deviceId}`;

/** Destinations among these that exist and are not active (wiped, revoked, …): nothing is queued for them. */
function inactiveDevices(q: Sql, envelopes: NewEnvelope[]): Set<string> {
  const distinct = new Map<string, [string, number]>();
  for (const e of envelopes) distinct.set(deviceKey(e.destUser, e.destDevice), [e.destUser, e.destDevice]);
  const inactive = new Set<string>();
  inPieces([...distinct.values()], (piece) => {
    const rows = q.all(
      sized(SELECT_INACTIVE, piece.length, (rows) => `SELECT d.user_id, d.device_id FROM (VALUES ${rows}) AS v
       JOIN devices AS d ON d.user_id = v.column1 AND d.device_id = v.column2 WHERE d.state != 'active'`, 2),
      params(piece, 2, (p, i, [userId, deviceId]) => { p[i] = userId; p[i + 1] = deviceId; }),
    );
    for (const r of rows) inactive.add(deviceKey(str(r.user_id), num(r.device_id)));
  });
  return inactive;
}

/**
 * Stores the sends in order and returns what each came to. Ids are handed out here, after the table's
 * AUTOINCREMENT counter, in the order the envelopes come: the same ids the inserts one by one would have taken.
 */
export function storeBatch(q: Sql, records: SqliteSendRecords, sends: PendingSend[]): ({ stored: StoredEnvelope[] } | { duplicateOf: number })[] {
  const claimed = new Map<string, number>(); // sendIds taken by this batch: a second send with one is its duplicate
  const toRecord: NewSendRecord[] = [];
  const expired: number[] = [];
  const results: ({ stored: StoredEnvelope[] } | { duplicateOf: number })[] = [];
  const toStore: NewEnvelope[][] = [];
  for (const s of sends) {
    if (s.once) {
      const k = sendKey(s.once);
      const mine = claimed.get(k);
      if (mine !== undefined) { results.push({ duplicateOf: mine }); continue; }
      const hash = SqliteSendRecords.hash(s.once);
      const before = records.find(s.once, hash);
      if (before && before.expiresAt > s.once.now) { results.push({ duplicateOf: before.serverTimestamp }); continue; }
      if (before) expired.push(before.rowid); // replaced by the new record
      claimed.set(k, s.once.serverTimestamp);
      toRecord.push({ once: s.once, hash });
    }
    const stored: StoredEnvelope[] = [];
    results.push({ stored });
    toStore.push(s.envelopes);
  }
  records.add(toRecord, expired);

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
      const row = withId(e, nextId++);
      result.stored.push(row);
      rows.push(row);
    }
  }
  inPieces(rows, (piece) => q.run(
    sized(INSERT_ENVELOPES, piece.length, (rows) => `INSERT INTO envelopes
     (id, dest_user, dest_device, source_user, source_device, type, content, server_timestamp, group_id, about_group, deliver_after) VALUES ${rows}`, 11),
    params(piece, 11, (p, i, e) => {
      p[i] = e.id; p[i + 1] = e.destUser; p[i + 2] = e.destDevice; p[i + 3] = e.sourceUser; p[i + 4] = e.sourceDevice; p[i + 5] = e.type;
      p[i + 6] = e.content; p[i + 7] = e.serverTimestamp; p[i + 8] = e.groupId ?? null; p[i + 9] = e.aboutGroup ?? null;
      p[i + 10] = e.deliverAfter ?? null;
    }),
  ));
  return results;
}
