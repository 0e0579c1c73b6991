// The in-memory index key of a sendId record (sqlite/send-records.ts): 48 bits of SHA-256 over the record's whole
// key. A client picks its sendIds, so a key a client could steer (a prefix of the sendId, a fast unkeyed hash)
// would let one device pile its records on one index entry and make each of its lookups read all of them back;
// with SHA-256 even a few records sharing an entry are expensive to find. Hits are compared in full, so sharing
// an entry never makes two sends one.
import { hash } from 'node:crypto';

export function sendKeyHash(userId: string, deviceId: number, sendId: string): number {
  return hash('sha256', `${userId}\n${deviceId}\n${sendId}`, 'buffer').readUIntBE(0, 6);
}
