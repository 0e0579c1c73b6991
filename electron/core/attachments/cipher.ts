// The attachment cipher, as Signal's: a fresh 64-byte key per file (32 AES-256 ‖ 32 HMAC-SHA256), and
//   ciphertext = IV (16) ‖ AES-256-CBC with PKCS#7 padding ‖ HMAC-SHA256(IV ‖ CBC part)
// `digest` = sha256 of the whole ciphertext travels in the Signal message and is checked before anything is
// saved; `sha256` of the plaintext is shown to people and scripts. Everything streams: a file of any size
// passes through in chunks (node:crypto's Cipheriv/Hmac/Hash are incremental), so memory stays flat.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export const KEY_BYTES = 64;
const IV_BYTES = 16;
const MAC_BYTES = 32;

/** The one error of a file whose bytes are not the ones the sender encrypted (a tampering server, a damaged copy). */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
  constructor(message = 'attachment failed its integrity check') {
    super(message);
  }
}

export const newAttachmentKey = (): Buffer => randomBytes(KEY_BYTES);

function split(key: Uint8Array): { aes: Buffer; mac: Buffer } {
  if (key.length !== KEY_BYTES) throw new IntegrityError('attachment failed its integrity check (the key is not 64 bytes)');
  const k = Buffer.from(key);
  return { aes: k.subarray(0, 32), mac: k.subarray(32) };
}

export interface EncryptedFacts {
  /** sha256 of the ciphertext. */
  digest: Buffer;
  /** sha256 (hex) of the plaintext. */
  sha256: string;
  /** Plaintext bytes. */
  size: number;
}

/** Plaintext in, ciphertext out; `facts` resolves once the stream has ended. */
export class Encryptor extends Transform {
  readonly #cipher;
  readonly #hmac: Hmac;
  readonly #digest: Hash = createHash('sha256');
  readonly #plain: Hash = createHash('sha256');
  #size = 0;
  #started = false;
  readonly #iv: Buffer;
  #resolve!: (f: EncryptedFacts) => void;
  readonly facts: Promise<EncryptedFacts> = new Promise((resolve) => { this.#resolve = resolve; });

  constructor(key: Uint8Array, iv: Buffer = randomBytes(IV_BYTES)) {
    super();
    const { aes, mac } = split(key);
    this.#iv = iv;
    this.#cipher = createCipheriv('aes-256-cbc', aes, iv);
    this.#hmac = createHmac('sha256', mac);
  }

  #out(b: Buffer): void {
    if (!this.#started) {
      this.#started = true;
      this.#emit(this.#iv);
    }
    if (b.length > 0) this.#emit(b);
  }

  #emit(b: Buffer): void {
    this.#hmac.update(b);
    this.#digest.update(b);
    this.push(b);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#plain.update(chunk);
    this.#size += chunk.length;
    this.#out(this.#cipher.update(chunk));
    done();
  }

  override _flush(done: TransformCallback): void {
    this.#out(this.#cipher.final());
    const mac = this.#hmac.digest();
    this.#digest.update(mac);
    this.push(mac);
    this.#resolve({ digest: this.#digest.digest(), sha256: this.#plain.digest('hex'), size: this.#size });
    done();
  }
}

/**
 * Ciphertext in, the same ciphertext out, checked on the way: at the end its sha256 must equal `digest` and
 * its MAC must verify under `key`, else the stream fails with IntegrityError (the caller drops what it wrote).
 */
export class CiphertextVerifier extends Transform {
  readonly #hmac: Hmac;
  readonly #hash: Hash = createHash('sha256');
  /** The last MAC_BYTES seen: the MAC, once the stream ends. */
  #tail: Buffer = Buffer.alloc(0);
  #count = 0;

  constructor(key: Uint8Array, private readonly digest: Buffer, private readonly expectedBytes: number) {
    super();
    this.#hmac = createHmac('sha256', split(key).mac);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#count += chunk.length;
    if (this.#count > this.expectedBytes) return done(new IntegrityError());
    this.#hash.update(chunk);
    const all = this.#tail.length === 0 ? chunk : Buffer.concat([this.#tail, chunk]);
    const keep = Math.min(MAC_BYTES, all.length);
    this.#hmac.update(all.subarray(0, all.length - keep));
    this.#tail = Buffer.from(all.subarray(all.length - keep));
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    // A digest of the wrong length (a hostile message) can never match; timingSafeEqual would throw on it.
    const ok = this.#count === this.expectedBytes && this.#tail.length === MAC_BYTES && this.digest.length === 32
      && timingSafeEqual(this.#hash.digest(), this.digest) && timingSafeEqual(this.#hmac.digest(), this.#tail);
    done(ok ? null : new IntegrityError());
  }
}

/**
 * Ciphertext in, plaintext out. The MAC is checked at the end (the stream fails with IntegrityError if it does
 * not verify, or the plaintext's size or sha256 differ from the message's): a caller writes to a temporary
 * file and keeps it only when the stream ended without error.
 */
export class Decryptor extends Transform {
  readonly #macKey: Buffer;
  readonly #aesKey: Buffer;
  readonly #hmac: Hmac;
  readonly #plain: Hash = createHash('sha256');
  #decipher: ReturnType<typeof createDecipheriv> | undefined;
  #head: Buffer = Buffer.alloc(0);
  #tail: Buffer = Buffer.alloc(0);
  #size = 0;

  constructor(key: Uint8Array, private readonly expect: { size: number; sha256: string }) {
    super();
    const { aes, mac } = split(key);
    this.#aesKey = aes;
    this.#macKey = mac;
    this.#hmac = createHmac('sha256', this.#macKey);
  }

  #plainOut(b: Buffer): boolean {
    this.#size += b.length;
    if (this.#size > this.expect.size) return false;
    this.#plain.update(b);
    if (b.length > 0) this.push(b);
    return true;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let data: Buffer = this.#tail.length === 0 ? chunk : Buffer.concat([this.#tail, chunk]);
    if (!this.#decipher) {
      data = Buffer.concat([this.#head, data]);
      if (data.length < IV_BYTES + MAC_BYTES) { this.#head = data; this.#tail = Buffer.alloc(0); return done(); }
      const iv = data.subarray(0, IV_BYTES);
      this.#hmac.update(iv);
      this.#decipher = createDecipheriv('aes-256-cbc', this.#aesKey, iv);
      data = data.subarray(IV_BYTES);
    }
    const keep = Math.min(MAC_BYTES, data.length);
    const body = data.subarray(0, data.length - keep);
    this.#tail = Buffer.from(data.subarray(data.length - keep));
    this.#hmac.update(body);
    try {
      if (!this.#plainOut(this.#decipher.update(body))) return done(new IntegrityError());
    } catch {
      return done(new IntegrityError());
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (!this.#decipher || this.#tail.length !== MAC_BYTES || !timingSafeEqual(this.#hmac.digest(), this.#tail)) return done(new IntegrityError());
    try {
      if (!this.#plainOut(this.#decipher.final())) return done(new IntegrityError());
    } catch {
      return done(new IntegrityError());
    }
    if (this.#size !== this.expect.size || this.#plain.digest('hex') !== this.expect.sha256) return done(new IntegrityError());
    done();
  }
}
