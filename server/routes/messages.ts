// Fan-out sending: one request carries one envelope per device of the recipient and per other
// device of the sender, so the server never has to guess who should receive what.
// Optional `sendId`: a retry of an accepted send (its response lost) is answered with the first result and stores
// nothing. Optional `aboutGroup` (a delivery receipt for a group message): stamped after checking both ends are in
// the group, so the recipient can hold the receipt's group against something the sender could not forge.
import type { Static } from 'typebox';
import { DeviceMismatch, NoQuery, SendRequest, SendResponse } from '../../common/wire/schemas.ts';
import { authOf } from '../auth.ts';
import { ApiError, unknownUser } from '../errors.ts';
import { activeRefs, checkFanout } from '../fanout.ts';
import { isGroupAdmin } from '../groups/policy.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';
import type { NewEnvelope } from '../store/types.ts';

/** How long a sendId is remembered: retries come within minutes; older duplicates are caught by the receiver's message ids. */
export const SEND_ID_TTL_MS = 2 * 3_600_000;

/**
 * `aboutGroup`: sender and recipient are both members; in a confidential group one of them is an admin (posts and
 * receipts only ever run between a member and the admins there, and plain members must not learn of each other).
 * One answer for every refusal, so it reveals nothing about who else is in the group.
 */
async function requirePairInGroup(ctx: AppContext, groupId: string, sender: string, recipient: string): Promise<void> {
  const refuse = () => new ApiError('not_a_member', 'aboutGroup: you and the recipient must both be members of that group.');
  const group = await ctx.store.groups.get(groupId);
  if (!group) throw refuse();
  const members = await ctx.store.groups.members(groupId);
  const a = members.find((m) => m.userId === sender);
  const b = members.find((m) => m.userId === recipient);
  if (!a || !b) throw refuse();
  if (group.confidential && !isGroupAdmin(a.role) && !isGroupAdmin(b.role) && sender !== recipient) throw refuse();
}

/**
 * One 1:1 send, whichever way it came (POST /v1/messages, or a `send` frame on the delivery socket:
 * server/socket-send.ts): throws ApiError for every refusal, as the route answers it.
 *
 * A retry of a send that was accepted gets the same answer, whatever changed since (devices, membership,
 * consent). Its record is not read up front for every send (a lookup per send was ~8% of the relay's time): a
 * retry that passes the checks is caught where the send is stored (EnvelopeStore.storeOnce/storeMany answer
 * duplicateOf), and one the checks now refuse is looked up before the refusal goes out. Urgent sends are the
 * exception: their check writes to the audit log, which a retry must not do twice.
 */
export async function acceptSend(ctx: AppContext, sender: { userId: string; deviceId: number }, body: SendRequest): Promise<Static<typeof SendResponse>> {
  const { sendId } = body;
  const earlier = () => (sendId === undefined ? undefined : ctx.store.envelopes.findSend(sender.userId, sender.deviceId, sendId, ctx.now()));
  if (body.urgent === true) {
    const ts = await earlier();
    if (ts !== undefined) return { serverTimestamp: ts };
  }
  try {
    return await checkAndStore(ctx, sender, body);
  } catch (err) {
    const ts = await earlier();
    if (ts === undefined) throw err;
    return { serverTimestamp: ts };
  }
}

async function checkAndStore(ctx: AppContext, sender: { userId: string; deviceId: number }, body: SendRequest): Promise<Static<typeof SendResponse>> {
  await ctx.workplace.requireConsentOf(sender.userId);
  const { recipient, envelopes, sendId, aboutGroup, urgent } = body;
  // A recipient with an active device exists (devices belong to users): the user row is read only when there is none.
  const recipientDevices = await activeRefs(ctx.store, recipient);
  if (recipientDevices.length === 0 && !(await ctx.store.users.get(recipient))) throw unknownUser();
  if (aboutGroup !== undefined) await requirePairInGroup(ctx, aboutGroup, sender.userId, recipient);

  // Expected: every active device of the recipient and of the sender, except the sending device.
  const serverTimestamp = ctx.now();
  const toStore = await checkFanout(ctx.store, sender, [recipient, sender.userId], envelopes, serverTimestamp, aboutGroup ? { aboutGroup } : {},
    { userId: recipient, refs: recipientDevices });
  return holdAndStore(ctx, sender, toStore, { sendId, serverTimestamp, urgent: urgent === true });
}

/**
 * The end of an accepted send (1:1 or group): recipients off work get their copies at their next working period
 * (server/workplace/), then the hub stores and delivers (the sends of one turn share a commit). With a sendId, a
 * concurrent duplicate that got there first gets its answer, and nothing is stored or notified twice.
 */
export async function holdAndStore(
  ctx: AppContext, sender: { userId: string; deviceId: number }, toStore: NewEnvelope[],
  send: { sendId: string | undefined; serverTimestamp: number; urgent: boolean },
): Promise<Static<typeof SendResponse>> {
  const { sendId, serverTimestamp } = send;
  const heldUntil = await ctx.workplace.hold(sender, toStore, send.urgent);
  const held = Object.keys(heldUntil).length > 0 ? { heldUntil } : {};
  if (sendId === undefined) {
    await ctx.hub.storeEnvelopes(toStore);
  } else {
    const r = await ctx.hub.storeSend(toStore, {
      userId: sender.userId, deviceId: sender.deviceId, sendId, serverTimestamp, expiresAt: serverTimestamp + SEND_ID_TTL_MS, now: serverTimestamp,
    });
    if ('duplicateOf' in r) return { serverTimestamp: r.duplicateOf };
  }
  return { serverTimestamp, ...held };
}

export function messageRoutes(app: App, ctx: AppContext): void {
  app.post('/v1/messages', {
    onRequest: ctx.authenticate,
    schema: { querystring: NoQuery, body: SendRequest, response: replies({ 200: SendResponse, 409: DeviceMismatch, 410: DeviceMismatch }) },
  }, (req) => {
    const me = authOf(req);
    ctx.limits.of('sendsByDevice').consume(`${me.userId}/${me.deviceId}`, 'sends from this device');
    return acceptSend(ctx, me, req.body);
  });
}
