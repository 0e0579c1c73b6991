// Parley's own update signatures, PURE (node:crypto only, no file or network I/O).
//
// Why, on top of Authenticode / Apple notarization: those prove "some certificate of this publisher signed
// this binary"; they say nothing about WHICH version or channel it is (a validly signed old build can be
// replayed as a downgrade), and Linux AppImage/deb updates have no platform signature at all. A Parley release
// signature binds the file's SHA-256, its version and its channel together under an Ed25519 key whose public
// half is pinned in the app at build time (build/release/update-public-keys.json).
//
// The signed bytes (UTF-8, exactly four lines joined by "\n", NO trailing newline):
//
//     parley-update-v1\n<sha256 of the file, 64 lowercase hex>\n<version>\n<channel>
//
// e.g. "parley-update-v1\n9f86d0…0a08\n1.4.0\nstable". No field can contain "\n" (the hash is hex, the
// version is a strict semver, the channel is one of stable|beta|dev), so the encoding is unambiguous, and
// the domain prefix keeps these signatures from being valid for anything else signed with the same key.
//
// The `.sig` file next to the artifact (JSON, at most 4 KiB, no other keys allowed):
//
//     { "format": "parley-update-sig-v1", "version": "1.4.0", "channel": "stable",
//       "sha256": "<64 lowercase hex>", "keyId": "<16 lowercase hex>", "signature": "<base64, 64 bytes>" }
//
// keyId = the first 16 hex characters of sha256(raw 32-byte Ed25519 public key): a hint for picking the
// pinned key, never trusted on its own (the signature is always checked against the pinned key).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { compareSemver, isSemver } from './semver.ts';

export const SIG_FORMAT = 'parley-update-sig-v1';
export const SIGNED_PREFIX = 'parley-update-v1';
export const CHANNELS = ['stable', 'beta', 'dev'] as const;
export type Channel = (typeof CHANNELS)[number];
export const MAX_SIG_BYTES = 4096;

export interface UpdateSignature {
  format: typeof SIG_FORMAT;
  version: string;
  channel: Channel;
  sha256: string;
  keyId: string;
  signature: string;
}

export type VerifyResult = { ok: true; keyId: string } | { ok: false; reason: string };

export class SignatureError extends Error {
  override name = 'SignatureError';
}

const HEX64 = /^[0-9a-f]{64}$/;
const KEYID = /^[0-9a-f]{16}$/;
const B64_RAW_KEY = /^[A-Za-z0-9+/]{43}=$/;
const B64_SIG = /^[A-Za-z0-9+/]{86}==$/;

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The exact byte string that is signed (see the header). Throws on a field that would make it ambiguous. */
export function signedBytes(sha256: string, version: string, channel: string): Buffer {
  if (!HEX64.test(sha256)) throw new SignatureError('the file hash must be 64 lowercase hex characters');
  if (!isSemver(version)) throw new SignatureError(`the version "${version}" is not MAJOR.MINOR.PATCH[-PRERELEASE]`);
  if (!isChannel(channel)) throw new SignatureError(`the channel "${channel}" is not one of ${CHANNELS.join(', ')}`);
  return Buffer.from(`${SIGNED_PREFIX}\n${sha256}\n${version}\n${channel}`, 'utf8');
}

/** Decodes a pinned public key: base64 of the raw 32-byte Ed25519 key. Throws SignatureError when malformed. */
export function rawPublicKey(base64: string): Buffer {
  const s = base64.trim();
  if (!B64_RAW_KEY.test(s)) throw new SignatureError('a public key must be the base64 of a raw 32-byte Ed25519 key');
  return Buffer.from(s, 'base64');
}

export function keyIdOf(rawPublic: Uint8Array): string {
  return sha256Hex(rawPublic).slice(0, 16);
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

export interface UpdateKeyPair {
  /** PKCS#8 PEM of the Ed25519 private key. Secret. */
  privatePem: string;
  /** base64 of the raw 32-byte public key: what gets pinned in update-public-keys.json. */
  publicBase64: string;
  keyId: string;
}

export function generateUpdateKeyPair(): UpdateKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicBase64: raw.toString('base64'),
    keyId: keyIdOf(raw),
  };
}

/** Loads an Ed25519 private key from PEM; returns it with its raw public half. Throws SignatureError. */
export function loadPrivateKey(pem: string): { key: KeyObject; publicBase64: string; keyId: string } {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new SignatureError('the private key is not a readable PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SignatureError(`the private key is ${key.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`);
  const raw = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url');
  return { key, publicBase64: raw.toString('base64'), keyId: keyIdOf(raw) };
}

/** Signs an artifact (its bytes, or its precomputed SHA-256 hex) for `version` on `channel`. */
export function signUpdate(input: { file: Uint8Array } | { sha256: string }, version: string, channel: string, privatePem: string): UpdateSignature {
  const { key, keyId } = loadPrivateKey(privatePem);
  const sha256 = 'file' in input ? sha256Hex(input.file) : input.sha256;
  const message = signedBytes(sha256, version, channel);
  return {
    format: SIG_FORMAT,
    version,
    channel: channel as Channel,
    sha256,
    keyId,
    signature: sign(null, message, key).toString('base64'),
  };
}

export function serializeSignature(sig: UpdateSignature): string {
  return `${JSON.stringify(sig, null, 2)}\n`;
}

/** Parses and strictly validates a `.sig` file (text, bytes or an already-parsed value). Throws SignatureError. */
export function parseSignature(input: string | Uint8Array | unknown): UpdateSignature {
  let value: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
    if (size > MAX_SIG_BYTES) throw new SignatureError(`the signature file is malformed: larger than ${MAX_SIG_BYTES} bytes`);
    let text: string;
    try {
      text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
      value = JSON.parse(text);
    } catch {
      throw new SignatureError('the signature file is malformed: not JSON');
    }
  }
  const bad = (what: string): never => { throw new SignatureError(`the signature file is malformed: ${what}`); };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('not a JSON object');
  const o = value as Record<string, unknown>;
  const allowed = ['format', 'version', 'channel', 'sha256', 'keyId', 'signature'];
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0) bad(`unexpected key ${JSON.stringify(extra[0])}`);
  if (o.format !== SIG_FORMAT) bad(`format must be "${SIG_FORMAT}"`);
  if (typeof o.version !== 'string' || !isSemver(o.version)) bad('version is not MAJOR.MINOR.PATCH[-PRERELEASE]');
  if (!isChannel(o.channel)) bad(`channel is not one of ${CHANNELS.join(', ')}`);
  if (typeof o.sha256 !== 'string' || !HEX64.test(o.sha256)) bad('sha256 is not 64 lowercase hex characters');
  if (typeof o.keyId !== 'string' || !KEYID.test(o.keyId)) bad('keyId is not 16 lowercase hex characters');
  if (typeof o.signature !== 'string' || !B64_SIG.test(o.signature)) bad('signature is not the base64 of 64 bytes');
  return o as unknown as UpdateSignature;
}

export interface VerifyInput {
  /** The downloaded artifact's bytes, or its SHA-256 (hex) computed by the caller while streaming it. */
  file: Uint8Array | { sha256: string };
  /** The `.sig` file: its text/bytes or parsed JSON. */
  sig: string | Uint8Array | unknown;
  /** Pinned public keys (base64 raw Ed25519). */
  publicKeys: readonly string[];
  /** What the update metadata (latest.yml / the feed) claims this file is. */
  expectedVersion: string;
  expectedChannel: string;
  /** The running app's version; when given, the update must be strictly newer. */
  installedVersion?: string;
}

/**
 * Decides whether a downloaded update may be installed. Never throws: `{ ok: false, reason }` carries a
 * one-line sentence. Checks, in order: the inputs are well-formed; the .sig parses; its keyId names a pinned
 * key; the Ed25519 signature over (sha256, version, channel) verifies under that key; the signed version and
 * channel are what the metadata claims; the file's hash is the signed hash; the version is newer than the
 * installed one.
 */
export function verifyUpdate(input: VerifyInput): VerifyResult {
  const refuse = (reason: string): VerifyResult => ({ ok: false, reason });
  try {
    if (!isSemver(input.expectedVersion)) return refuse(`the update metadata's version "${input.expectedVersion}" is not MAJOR.MINOR.PATCH[-PRERELEASE]`);
    if (!isChannel(input.expectedChannel)) return refuse(`the update metadata's channel "${input.expectedChannel}" is not one of ${CHANNELS.join(', ')}`);
    if (input.installedVersion !== undefined && !isSemver(input.installedVersion)) {
      return refuse(`the installed version "${input.installedVersion}" is not MAJOR.MINOR.PATCH[-PRERELEASE]`);
    }
    let sig: UpdateSignature;
    try {
      sig = parseSignature(input.sig);
    } catch (err) {
      return refuse(err instanceof SignatureError ? err.message : 'the signature file is malformed');
    }
    const pinned = new Map<string, Buffer>();
    for (const k of input.publicKeys) {
      try {
        const raw = rawPublicKey(k);
        pinned.set(keyIdOf(raw), raw);
      } catch { /* a malformed pinned key trusts nothing */ }
    }
    if (pinned.size === 0) return refuse('no valid update public key is pinned, so no update can be trusted');
    const raw = pinned.get(sig.keyId);
    if (!raw) return refuse(`the update is signed with key ${sig.keyId}, which this build does not trust`);
    const message = signedBytes(sig.sha256, sig.version, sig.channel);
    if (!verify(null, message, publicKeyObject(raw), Buffer.from(sig.signature, 'base64'))) {
      return refuse(`the update signature does not verify under the trusted key ${sig.keyId} (forged or corrupted signature)`);
    }
    if (sig.version !== input.expectedVersion) {
      return refuse(`the signature is for version ${sig.version} but the update claims to be version ${input.expectedVersion}`);
    }
    if (sig.channel !== input.expectedChannel) {
      return refuse(`the signature is for the ${sig.channel} channel but the update claims the ${input.expectedChannel} channel`);
    }
    const actual = input.file instanceof Uint8Array ? sha256Hex(input.file) : input.file.sha256.toLowerCase();
    if (actual !== sig.sha256) {
      return refuse(`the downloaded file's hash (sha256 ${actual.slice(0, 16)}…) does not match the signed hash (sha256 ${sig.sha256.slice(0, 16)}…): the file was tampered with or corrupted`);
    }
    if (input.installedVersion !== undefined) {
      const c = compareSemver(sig.version, input.installedVersion);
      if (c === 0) return refuse(`version ${sig.version} is already installed (same version, nothing to update)`);
      if (c < 0) return refuse(`version ${sig.version} is older than the installed ${input.installedVersion} (downgrades are refused)`);
    }
    return { ok: true, keyId: sig.keyId };
  } catch (err) {
    return refuse(`the update could not be verified: ${(err as Error).message.split('\n')[0]}`);
  }
}
