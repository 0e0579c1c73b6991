// Wire contract of the batched key-bundle fetch (issue #12 "Speed"): the bundles a sender needs to open
// sessions with many users at once (the first message to a big group), in few requests instead of one per user.
//
//   POST /v1/keys/bundles   BundleBatchRequest → BundleBatchResponse   (400 bad body, 429 rate_limited)
//
// Per target the same rules as GET /v1/keys/:userId[/:deviceId] (server/routes/keys.ts): a requesting user takes
// at most a few one-time prekeys from one target user (later bundles come without one), and the requester's
// bundle-fetch budget is counted in target users, all or nothing (a refused batch takes nothing). The answer
// holds what the server has: a target user that is unknown, or has no active device, gets `devices: []`; a
// device asked for that is not active is absent from its user's `devices`.
import { Type, type Static } from 'typebox';
import { DeviceBundle, DeviceId, UserId } from './schemas.ts';

/** Target users per request: a whole group (GROUP_LIMITS.membersPerGroup) fits in one. */
export const BUNDLE_BATCH_MAX = 1000;

export const BundleTarget = Type.Object({
  userId: UserId,
  /** Just this device (each bundle given out consumes one of its one-time prekeys); absent: all active devices. */
  deviceId: Type.Optional(DeviceId),
}, { additionalProperties: false });
export type BundleTarget = Static<typeof BundleTarget>;

export const BundleBatchRequest = Type.Object({
  /** The same user may appear more than once (several of its devices); all together count as one target user. */
  targets: Type.Array(BundleTarget, { minItems: 1, maxItems: BUNDLE_BATCH_MAX }),
}, { additionalProperties: false });
export type BundleBatchRequest = Static<typeof BundleBatchRequest>;

export const BundleBatchResponse = Type.Object({
  /** One entry per distinct target user, in the order of their first appearance in the request. */
  users: Type.Array(Type.Object({ userId: UserId, devices: Type.Array(DeviceBundle) }), { maxItems: BUNDLE_BATCH_MAX }),
});
export type BundleBatchResponse = Static<typeof BundleBatchResponse>;
