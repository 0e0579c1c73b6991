// This device's prekeys. One-time prekeys: each new session someone starts with this device consumes one on
// the server; made in batches, topped up when the server's count runs low (checked at every connect and
// after sessions were started with us). The key id counter lives in the store so two processes on one
// profile never reuse an id. The signed prekey is rotated on a schedule, as Signal does: a new one every
// week, the previous ones kept for a grace period so sessions started from a bundle fetched before the
// rotation (a message in flight) still open.
import { createPreKeys, createSignedPreKey, type PreKeyRecord } from '../../../crypto/signal.ts';
import type { LocalStore } from '../store/local-store.ts';
import { b64, unb64, type CoreContext } from '../context.ts';

export const PREKEY_BATCH = 100;
export const PREKEY_LOW_WATER = 20;
const DAY = 24 * 3600_000;
export const SIGNED_PREKEY_ROTATE_MS = 7 * DAY;
/** How long a replaced signed prekey is kept (a bundle fetched before the rotation may still be used). */
export const SIGNED_PREKEY_GRACE_MS = 14 * DAY;
/** The id of the signed prekey the server has (registration records the first). */
export const PUBLISHED = 'signedPreKeyPublished';

/** Stores a batch of new prekeys from `firstKeyId` and advances the counter; call inside a store transaction. */
export async function makePreKeys(store: LocalStore, firstKeyId: number, count: number): Promise<PreKeyRecord[]> {
  const made = await createPreKeys(firstKeyId, count);
  store.putPreKeys(made.map((k) => ({ keyId: k.keyId, publicKey: k.keyPair.publicKey, privateKey: k.keyPair.privateKey })));
  store.setMeta('nextPreKeyId', String(firstKeyId + made.length));
  return made;
}

export const prekeysForUpload = (keys: PreKeyRecord[]) => keys.map((k) => ({ keyId: k.keyId, publicKey: b64(k.keyPair.publicKey) }));

/** Tops the server's one-time prekeys back up when they run low. Returns how many the server holds. */
export async function refillPreKeys(ctx: CoreContext, known?: number): Promise<number> {
  const count = known ?? (await ctx.api.preKeyCount()).count;
  if (count >= PREKEY_LOW_WATER) return count;
  // Read and advance the key id in one transaction: two processes on one profile (the app and a CLI)
  // must never make different keys under the same id, or the server's copy would not match ours.
  const keys = await ctx.store.exclusive(async () => makePreKeys(ctx.store, Number(ctx.store.getMeta('nextPreKeyId') ?? '1'), PREKEY_BATCH - count));
  const res = await ctx.api.uploadKeys({ preKeys: prekeysForUpload(keys) });
  return res.count;
}

/**
 * Publishes a new signed prekey when the current one is older than SIGNED_PREKEY_ROTATE_MS (or was never
 * published: a failed upload is retried at the next connect), and forgets replaced ones after the grace
 * period. Returns the key id now published, or undefined when nothing changed.
 */
export async function rotateSignedPreKey(ctx: CoreContext): Promise<number | undefined> {
  const { store } = ctx;
  const now = ctx.now();
  const made = await store.exclusive(async () => {
    const keys = store.signedPreKeys();
    const newest = keys.at(-1);
    if (newest && now - newest.createdAt < SIGNED_PREKEY_ROTATE_MS) return newest;
    const id = store.getJson<{ publicKey: string; privateKey: string }>('identity')!;
    const keyId = ((Math.max(0, ...keys.map((k) => k.keyId)) % 0xfffffe) + 1);
    const signed = await createSignedPreKey({ publicKey: unb64(id.publicKey), privateKey: unb64(id.privateKey) }, keyId);
    store.putSignedPreKey({ keyId, publicKey: signed.keyPair.publicKey, privateKey: signed.keyPair.privateKey, signature: signed.signature }, now);
    return { keyId, publicKey: signed.keyPair.publicKey, signature: signed.signature, createdAt: now };
  });
  let published: number | undefined;
  if (store.getMeta(PUBLISHED) !== String(made.keyId)) {
    await ctx.api.uploadKeys({ signedPreKey: { keyId: made.keyId, publicKey: b64(made.publicKey), signature: b64(made.signature) }, preKeys: [] });
    await store.exclusive(async () => store.setMeta(PUBLISHED, String(made.keyId)));
    published = made.keyId;
  }
  await store.exclusive(async () => {
    const keys = store.signedPreKeys();
    // A key replaced longer ago than the grace period (its successor is that old) is no longer needed.
    for (let i = 0; i < keys.length - 1; i++) {
      if (now - keys[i + 1]!.createdAt >= SIGNED_PREKEY_GRACE_MS) store.removeSignedPreKey(keys[i]!.keyId);
    }
  });
  return published;
}

/** At every connect: top up one-time prekeys and rotate the signed prekey when due. */
export async function maintainKeys(ctx: CoreContext): Promise<void> {
  await refillPreKeys(ctx);
  await rotateSignedPreKey(ctx);
}
