// One-time prekeys: each new session someone starts with this device consumes one on the server. Made in
// batches; the key id counter lives in the store so two processes on one profile never reuse an id.
import { createPreKeys, type PreKeyRecord } from '../../../crypto/signal.ts';
import type { LocalStore } from '../store/local-store.ts';
import { b64, type CoreContext } from '../context.ts';

export const PREKEY_BATCH = 100;
const PREKEY_LOW_WATER = 20;

/** Stores a batch of new prekeys from `firstKeyId` and advances the counter; call inside a store transaction. */
export async function makePreKeys(store: LocalStore, firstKeyId: number, count: number): Promise<PreKeyRecord[]> {
  const made = await createPreKeys(firstKeyId, count);
  store.putPreKeys(made.map((k) => ({ keyId: k.keyId, publicKey: k.keyPair.publicKey, privateKey: k.keyPair.privateKey })));
  store.setMeta('nextPreKeyId', String(firstKeyId + made.length));
  return made;
}

export const prekeysForUpload = (keys: PreKeyRecord[]) => keys.map((k) => ({ keyId: k.keyId, publicKey: b64(k.keyPair.publicKey) }));

/** Tops the server's one-time prekeys back up when they run low. Returns how many the server holds. */
export async function refillPreKeys(ctx: CoreContext): Promise<number> {
  const { count } = await ctx.api.preKeyCount();
  if (count >= PREKEY_LOW_WATER) return count;
  // Read and advance the key id in one transaction: two processes on one profile (the app and a CLI)
  // must never make different keys under the same id, or the server's copy would not match ours.
  const keys = await ctx.store.exclusive(async () => makePreKeys(ctx.store, Number(ctx.store.getMeta('nextPreKeyId') ?? '1'), PREKEY_BATCH - count));
  const res = await ctx.api.uploadKeys({ preKeys: prekeysForUpload(keys) });
  return res.count;
}
