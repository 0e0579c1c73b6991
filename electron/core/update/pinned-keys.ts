// The update public keys this build trusts, pinned at BUILD time from build/release/update-public-keys.json
// (bundled into the app; nothing at run time can add a key). Validated when this module loads: a malformed
// entry is a build error, never a silently trusted key.
//
// The committed file holds a DEVELOPMENT key (marked "development": true, private half not kept). Production
// builds must replace it with the organization's release key(s) — see docs/release.md "Update signatures".
// During a key rotation the file lists the old and the new key; remove the old one once no release signed
// with it is still being served.
import pinnedFile from '../../../build/release/update-public-keys.json' with { type: 'json' };
import { keyIdOf, rawPublicKey } from './signature.ts';

export interface PinnedKey {
  /** base64 of the raw 32-byte Ed25519 public key */
  publicKey: string;
  keyId: string;
  label: string;
  development: boolean;
}

export function parsePinnedKeys(file: unknown): PinnedKey[] {
  const bad = (what: string): never => { throw new Error(`build/release/update-public-keys.json: ${what}`); };
  if (typeof file !== 'object' || file === null || !Array.isArray((file as { keys?: unknown }).keys)) bad('needs a "keys" array');
  const keys = (file as { keys: unknown[] }).keys;
  if (keys.length === 0) bad('lists no key');
  return keys.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null) return bad(`key ${i} is not an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.publicKey !== 'string') return bad(`key ${i} has no "publicKey"`);
    const raw = rawPublicKey(e.publicKey);
    const keyId = keyIdOf(raw);
    if (e.keyId !== undefined && e.keyId !== keyId) bad(`key ${i}: "keyId" ${String(e.keyId)} does not match the key (${keyId})`);
    return { publicKey: e.publicKey, keyId, label: typeof e.label === 'string' ? e.label : '', development: e.development === true };
  });
}

export const PINNED_KEYS: readonly PinnedKey[] = Object.freeze(parsePinnedKeys(pinnedFile));
/** base64 raw public keys, what verifyUpdate() takes. */
export const PINNED_UPDATE_KEYS: readonly string[] = Object.freeze(PINNED_KEYS.map((k) => k.publicKey));
/** True while the build still trusts a development key: a release build must fail on this (docs/release.md). */
export const TRUSTS_DEVELOPMENT_KEY: boolean = PINNED_KEYS.some((k) => k.development);
