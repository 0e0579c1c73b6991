// The exact-device-set check of every send, 1:1 (routes/messages.ts) and group (routes/groups.ts):
// one envelope per active device of every recipient and every other device of the sender, else
// 409 mismatched_devices / 410 stale_devices with the current device lists.
import type { DeviceAddress, DeviceRef, OutgoingEnvelope } from '../common/wire/schemas.ts';
import { decodeBase64 } from './base64.ts';
import { ApiError } from './errors.ts';
import type { NewEnvelope, ServerStore } from './store/types.ts';

const addr = (a: DeviceAddress) => `${a.userId}/${a.deviceId}`;

/**
 * Active-device lists read during the current turn of the event loop, per store: under load many sends of one
 * turn name the same recipients and senders, and reading a list once per turn instead of once per send is the
 * same as those sends having read it a moment earlier (they are concurrent with any change anyway; the insert
 * still refuses a device that is no longer active). Dropped at the end of the turn.
 */
const turnLists = new WeakMap<ServerStore, Map<string, Promise<DeviceRef[]>>>();

/** The user's active devices as the fan-out check compares them (read at most once per turn). */
export function activeRefs(store: ServerStore, userId: string): Promise<DeviceRef[]> {
  let lists = turnLists.get(store);
  if (!lists) {
    lists = new Map();
    turnLists.set(store, lists);
    setImmediate(() => turnLists.delete(store));
  }
  let refs = lists.get(userId);
  if (!refs) {
    refs = store.devices.active(userId).then((ds) => ds.map(({ deviceId, registrationId }) => ({ deviceId, registrationId })));
    lists.set(userId, refs);
    refs.catch(() => lists.delete(userId)); // a failed read is not shared
  }
  return refs;
}

export async function checkFanout(
  store: ServerStore, sender: { userId: string; deviceId: number }, recipients: string[], envelopes: OutgoingEnvelope[], serverTimestamp: number,
  /** What the server stamps on the envelopes after its own checks: the group relayed for, or the group a 1:1 send is about. */
  stamp: { groupId?: string; aboutGroup?: string } = {},
  /** Device lists the caller already read (active devices of a user), so they are not read twice. */
  known: Record<string, DeviceRef[]> = {},
): Promise<NewEnvelope[]> {
  const contents = envelopes.map((e, i) => {
    const bytes = decodeBase64(e.content);
    if (!bytes) throw new ApiError('invalid_base64', `envelopes[${i}].content is not canonical base64.`);
    return bytes;
  });
  const seen = new Set<string>();
  for (const e of envelopes) {
    if (seen.has(addr(e))) throw new ApiError('duplicate_device', `Two envelopes address ${addr(e)}.`);
    seen.add(addr(e));
  }

  const devices: Record<string, DeviceRef[]> = {};
  for (const userId of recipients) {
    devices[userId] ??= known[userId] ?? await activeRefs(store, userId);
  }
  const expected = new Map<string, DeviceAddress & DeviceRef>();
  for (const [userId, refs] of Object.entries(devices)) {
    for (const ref of refs) {
      if (userId === sender.userId && ref.deviceId === sender.deviceId) continue;
      expected.set(addr({ userId, deviceId: ref.deviceId }), { userId, ...ref });
    }
  }
  const missing = [...expected.values()].filter((d) => !seen.has(addr(d))).map(({ userId, deviceId }) => ({ userId, deviceId }));
  const extra = envelopes.filter((e) => !expected.has(addr(e))).map(({ userId, deviceId }) => ({ userId, deviceId }));
  if (missing.length > 0 || extra.length > 0) {
    throw new ApiError('mismatched_devices', undefined, { missing, extra, stale: [], devices });
  }
  const stale = envelopes.filter((e) => expected.get(addr(e))!.registrationId !== e.registrationId)
    .map(({ userId, deviceId }) => ({ userId, deviceId }));
  if (stale.length > 0) {
    throw new ApiError('stale_devices', undefined, { missing: [], extra: [], stale, devices });
  }
  return envelopes.map((e, i) => ({
    destUser: e.userId, destDevice: e.deviceId, sourceUser: sender.userId, sourceDevice: sender.deviceId,
    type: e.type, content: contents[i]!, serverTimestamp,
    ...(stamp.groupId ? { groupId: stamp.groupId } : {}), ...(stamp.aboutGroup ? { aboutGroup: stamp.aboutGroup } : {}),
  }));
}
