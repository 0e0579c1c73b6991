// Prekey publication and bundle fetching (X3DH).
// Bundle fetches are limited (finding 8): per requesting device, counted in target users (429 beyond the rate; a
// batch of many users, POST /v1/keys/bundles, is one request for all of them), and a requesting user takes
// only a few one-time prekeys from one target user — later bundles come without one, so nobody can drain
// another's supply. A device whose supply runs low is told on its delivery socket (`prekeys-low`).
import type { FastifyRequest } from 'fastify';
import {
  KeyBundles, NoQuery, PreKeyCount, UploadKeysRequest, UserDeviceParams, UserIdParams, type DeviceBundle,
} from '../../common/wire/schemas.ts';
import { BundleBatchRequest, BundleBatchResponse } from '../../common/wire/keys.ts';
import { authOf } from '../auth.ts';
import { decodePublicKey, decodeSignature, encodeBase64 } from '../base64.ts';
import { ApiError, unknownDevice, unknownUser } from '../errors.ts';
import type { StoredBundle } from '../store/types.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';
import { xeddsaVerify } from '../xeddsa.ts';


/** Below this many one-time prekeys a device is sent `prekeys-low` (its client refills to 100). */
export const PREKEYS_LOW = 20;

function toWireBundle(b: StoredBundle): DeviceBundle {
  return {
    deviceId: b.deviceId,
    registrationId: b.registrationId,
    identityKey: encodeBase64(b.identityKey),
    signedPreKey: {
      keyId: b.signedPreKey.keyId,
      publicKey: encodeBase64(b.signedPreKey.publicKey),
      signature: encodeBase64(b.signedPreKey.signature),
    },
    ...(b.preKey ? { preKey: { keyId: b.preKey.keyId, publicKey: encodeBase64(b.preKey.publicKey) } } : {}),
  };
}

export function keyRoutes(app: App, ctx: AppContext): void {
  const auth = { onRequest: ctx.authenticate };

  app.put('/v1/keys', { ...auth, schema: { querystring: NoQuery, body: UploadKeysRequest, response: replies({ 200: PreKeyCount }) } }, async (req) => {
    const { userId, deviceId } = authOf(req);
    const { identityKey, signedPreKey, preKeys } = req.body;
    const upload = {
      ...(identityKey ? { identityKey: decodePublicKey(identityKey, 'identityKey') } : {}),
      ...(signedPreKey ? {
        signedPreKey: {
          keyId: signedPreKey.keyId,
          publicKey: decodePublicKey(signedPreKey.publicKey, 'signedPreKey.publicKey'),
          signature: decodeSignature(signedPreKey.signature, 'signedPreKey.signature'),
        },
      } : {}),
      preKeys: preKeys.map((pk, i) => ({ keyId: pk.keyId, publicKey: decodePublicKey(pk.publicKey, `preKeys[${i}].publicKey`) })),
    };
    // One transaction, so the identity key the signature was checked with is the one the upload is stored under.
    const result = await ctx.store.transaction(async () => {
      if (upload.signedPreKey) {
        const stored = (await ctx.store.devices.get(userId, deviceId))?.identityKey ?? null;
        const claimed = upload.identityKey ?? null;
        // A different identity key than the stored one is refused by the store (identity_key_immutable) instead.
        const differs = stored && claimed && !Buffer.from(stored).equals(claimed);
        const signer = stored ?? claimed;
        if (!differs && signer && !xeddsaVerify(signer, upload.signedPreKey.publicKey, upload.signedPreKey.signature)) {
          throw new ApiError('invalid_prekey_signature');
        }
      }
      return ctx.store.keys.upload(userId, deviceId, upload);
    });
    if (result.ok) return { count: result.count };
    switch (result.reason) {
      case 'identity_required':
        throw new ApiError('identity_required');
      case 'identity_key_immutable':
        throw new ApiError('identity_key_immutable');
      case 'unknown_device':
        throw unknownDevice();
    }
  });

  app.get('/v1/keys/count', { ...auth, schema: { querystring: NoQuery, response: replies({ 200: PreKeyCount }) } }, async (req) => {
    const { userId, deviceId } = authOf(req);
    return { count: await ctx.store.keys.countPreKeys(userId, deviceId) };
  });

  /** The bundles of `userId`'s devices for this requester, with one-time prekeys while its allowance lasts. */
  async function fetchBundles(req: FastifyRequest, userId: string, deviceId?: number): Promise<StoredBundle[]> {
    const me = authOf(req);
    ctx.limits.of('bundlesByRequester').consume(`${me.userId}/${me.deviceId}`, 'key bundle fetches');
    if (!(await ctx.store.users.get(userId))) throw unknownUser();
    const oneTime = ctx.limits.of('prekeysByPair').take(`${me.userId}>${userId}`) === 0;
    const bundles = await ctx.store.keys.takeBundles(userId, deviceId, { oneTime });
    for (const b of bundles) if (b.preKey) signalIfLow(userId, b.deviceId, await ctx.store.keys.countPreKeys(userId, b.deviceId));
    return bundles;
  }

  /** Told before the fetch is answered, at most once a minute per device. */
  function signalIfLow(userId: string, deviceId: number, count: number): void {
    if (count >= PREKEYS_LOW || ctx.limits.of('prekeysLowSignal').take(`${userId}/${deviceId}`) !== 0) return;
    ctx.hub.signalUsers([userId], { type: 'prekeys-low', deviceId, count });
  }

  // Many users at once (a big group's first message): the single fetch's rules per target user, in one request
  // and one store transaction. The budget is taken all or nothing, in target users, before anything is read.
  app.post('/v1/keys/bundles', { ...auth, schema: { querystring: NoQuery, body: BundleBatchRequest, response: replies({ 200: BundleBatchResponse }) } }, async (req): Promise<BundleBatchResponse> => {
    const me = authOf(req);
    // Per user: the devices asked for, or null for all of them. Repeating a user costs nothing extra and gains nothing.
    const wanted = new Map<string, Set<number> | null>();
    for (const t of req.body.targets) {
      const cur = wanted.get(t.userId);
      if (t.deviceId === undefined) wanted.set(t.userId, null);
      else if (cur !== null) wanted.set(t.userId, (cur ?? new Set<number>()).add(t.deviceId));
    }
    ctx.limits.of('bundlesByRequester').consume(`${me.userId}/${me.deviceId}`, 'key bundle fetches', wanted.size);
    const pairs = ctx.limits.of('prekeysByPair');
    const taken = await ctx.store.keys.takeBundlesBatch([...wanted].map(([userId, ids]) => ({
      userId, oneTime: pairs.take(`${me.userId}>${userId}`) === 0, ...(ids ? { deviceIds: [...ids] } : {}),
    })));
    const users = new Map([...wanted.keys()].map((u) => [u, [] as DeviceBundle[]]));
    for (const b of taken) {
      if (b.preKeysLeft !== undefined) signalIfLow(b.userId, b.deviceId, b.preKeysLeft);
      users.get(b.userId)?.push(toWireBundle(b));
    }
    return { users: [...users].map(([userId, devices]) => ({ userId, devices })) };
  });

  app.get('/v1/keys/:userId', { ...auth, schema: { params: UserIdParams, querystring: NoQuery, response: replies({ 200: KeyBundles }) } }, async (req): Promise<KeyBundles> => {
    const { userId } = req.params;
    return { userId, devices: (await fetchBundles(req, userId)).map(toWireBundle) };
  });

  app.get('/v1/keys/:userId/:deviceId', { ...auth, schema: { params: UserDeviceParams, querystring: NoQuery, response: replies({ 200: KeyBundles }) } }, async (req): Promise<KeyBundles> => {
    const { userId } = req.params;
    const bundles = await fetchBundles(req, userId, Number(req.params.deviceId));
    if (bundles.length === 0) throw unknownDevice();
    return { userId, devices: bundles.map(toWireBundle) };
  });
}
