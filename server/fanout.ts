// The exact-device-set check of every send, 1:1 (routes/messages.ts) and group (routes/groups.ts):
// one envelope per active device of every recipient and every other device of the sender, else
// 409 mismatched_devices / 410 stale_devices with the current device lists.
import type { DeviceAddress, DeviceRef, OutgoingEnvelope } from '../common/wire/schemas.ts';
import { decodeBase64 } from './base64.ts';
import { ApiError } from './errors.ts';
import type { NewEnvelope, ServerStore } from './store/types.ts';

const addr = (a: DeviceAddress) => `${a.userId}/${a.deviceId}`;

/**
 * Active-device lists already read, per store. Where the store can tell when they may have changed
 * (DeviceStore.activeVersion: the SQLite store counts every statement that may change who is active), a list is
 * kept until then: a send then reads no list at all, as if it had read it a moment earlier — and the insert still
 * refuses a device that is no longer active. Elsewhere, lists are kept for the current turn of the event loop
 * only: under load many sends of one turn name the same recipients and senders, and they are concurrent with
 * any change anyway. Either way a failed read is not kept, and at most MAX_KEPT lists are.
 */
const kept = new WeakMap<ServerStore, { version: number | undefined; lists: Map<string, Promise<DeviceRef[]>> }>();
const MAX_KEPT = 50_000;

/** The user's active devices as the fan-out check compares them (read once while they cannot have changed). */
export function activeRefs(store: ServerStore, userId: string): Promise<DeviceRef[]> {
  const version = store.devices.activeVersion();
  let entry = kept.get(store);
  if (!entry || entry.version !== version || entry.lists.size >= MAX_KEPT) {
    entry = { version, lists: new Map() };
    kept.set(store, entry);
    if (version === undefined) {
      const mine = entry;
      setImmediate(() => { if (kept.get(store) === mine) kept.delete(store); });
    }
  }
  const lists = entry.lists;
  let refs = lists.get(userId);
  if (!refs) {
    refs = store.devices.active(userId).then((ds) => ds.map(({ deviceId, registrationId }) => ({ deviceId, registrationId })));
    lists.set(userId, refs);
    refs.catch(() => lists.delete(userId)); // a failed read is not shared
  }
  return refs;
}

/**
 * Checks the envelopes of a send against the active devices of `recipients` (the sender's own other devices
 * included when the sender is among them) and returns them as they are stored. Loops and Maps instead of
 * Object.entries, spreads and filter chains: this runs for every send, and the relay spent ~6% of its time here.
 */
export async function checkFanout(
  store: ServerStore, sender: { userId: string; deviceId: number }, recipients: string[], envelopes: OutgoingEnvelope[], serverTimestamp: number,
  /** What the server stamps on the envelopes after its own checks: the group relayed for, or the group a 1:1 send is about. */
  stamp: { groupId?: string; aboutGroup?: string } = {},
  /** A device list the caller already read (the active devices of `known.userId`), so it is not read twice. */
  known?: { userId: string; refs: DeviceRef[] },
): Promise<NewEnvelope[]> {
  const contents: Uint8Array[] = new Array<Uint8Array>(envelopes.length);
  const seen = new Set<string>();
  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i]!;
    const bytes = decodeBase64(e.content);
    if (!bytes) throw new ApiError('invalid_base64', `envelopes[${i}].content is not canonical base64.`);
    contents[i] = bytes;
    const a = addr(e);
    if (seen.has(a)) throw new ApiError('duplicate_device', `Two envelopes address ${a}.`);
    seen.add(a);
  }

  const devices = new Map<string, DeviceRef[]>();
  for (const userId of recipients) {
    if (!devices.has(userId)) devices.set(userId, known?.userId === userId ? known.refs : await activeRefs(store, userId));
  }
  const expected = new Map<string, DeviceAddress & DeviceRef>();
  for (const [userId, refs] of devices) {
    for (const ref of refs) {
      if (userId === sender.userId && ref.deviceId === sender.deviceId) continue;
      expected.set(addr({ userId, deviceId: ref.deviceId }), { userId, deviceId: ref.deviceId, registrationId: ref.registrationId });
    }
  }
  let mismatch = expected.size !== envelopes.length;
  let stale = false;
  for (const e of envelopes) {
    const d = expected.get(addr(e));
    if (!d) mismatch = true;
    else if (d.registrationId !== e.registrationId) stale = true;
  }
  if (mismatch || stale) refuse(envelopes, expected, seen, devices, mismatch);

  const out: NewEnvelope[] = new Array<NewEnvelope>(envelopes.length);
  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i]!;
    const n: NewEnvelope = {
      destUser: e.userId, destDevice: e.deviceId, sourceUser: sender.userId, sourceDevice: sender.deviceId, type: e.type, content: contents[i]!,
      serverTimestamp, contentBase64: e.content,
    };
    if (stamp.groupId) n.groupId = stamp.groupId;
    if (stamp.aboutGroup) n.aboutGroup = stamp.aboutGroup;
    out[i] = n;
  }
  return out;
}

/** 409 mismatched_devices (missing or extra devices) or else 410 stale_devices, with the current device lists. */
function refuse(
  envelopes: OutgoingEnvelope[], expected: Map<string, DeviceAddress & DeviceRef>, seen: Set<string>, lists: Map<string, DeviceRef[]>, mismatch: boolean,
): never {
  const devices = Object.fromEntries(lists);
  const at = ({ userId, deviceId }: DeviceAddress) => ({ userId, deviceId });
  if (mismatch) {
    const missing = [...expected.values()].filter((d) => !seen.has(addr(d))).map(at);
    const extra = envelopes.filter((e) => !expected.has(addr(e))).map(at);
    throw new ApiError('mismatched_devices', undefined, { missing, extra, stale: [], devices });
  }
  const stale = envelopes.filter((e) => expected.get(addr(e))!.registrationId !== e.registrationId).map(at);
  throw new ApiError('stale_devices', undefined, { missing: [], extra: [], stale, devices });
}
