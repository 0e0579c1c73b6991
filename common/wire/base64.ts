// Standard padded base64, as the wire schemas have it (the `base64` format of common/wire/schemas.ts). Checked
// by a loop over a table instead of the equivalent pattern
// `^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$`: on an envelope's content that pattern
// was the dearest schema check of a send (~3.7 µs for 540 characters against ~0.6 µs here; `npm run bench
// relay`). tests/wire/base64.test.ts holds the two equal on random and hostile strings.

/** The name of the format in the schemas (TypeBox's registry here, the server's Ajv in server/app.ts). */
export const BASE64_FORMAT = 'base64';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const IN_ALPHABET = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) IN_ALPHABET[ALPHABET.charCodeAt(i)] = 1;
const PAD = 61; // '='

/** True for standard padded base64 (length a multiple of 4, at most two '=' at the end only); '' included. */
export function isBase64(s: string): boolean {
  const n = s.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (n > 0 && s.charCodeAt(n - 1) === PAD) end = s.charCodeAt(n - 2) === PAD ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || IN_ALPHABET[c] === 0) return false;
  }
  return true;
}
