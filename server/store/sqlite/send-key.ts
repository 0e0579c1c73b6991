// The index key of a sendId record (migrations/0014-send-records.ts): 48 bits of SHA-256 over the record's
// whole key. A client picks its sendIds, so a key a client could steer (a prefix of the sendId, a fast
// unkeyed hash) would let one device pile its records on one index entry and make each of its lookups walk
// all of them; SHA-256 makes even a few records sharing an entry expensive to find. Matches are compared in
// full, so sharing an entry never makes two sends one.
import { hash } from 'node:crypto';

export function sendKeyHash(userId: string, deviceId: number, sendId: string): number {
  return hash('sha256', `${userId}\n${deviceId}\n${sendId}`, 'buffer').readUIntBE(0, 6);
}
