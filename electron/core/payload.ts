// Encoding of the content records (common/wire/content.ts) that travel inside the Signal ciphertext.
// Padded Signal-style (0x80 then zeros to a multiple of 160 bytes) so ciphertext length says little about
// the text length.
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { createHash } from 'node:crypto';
import * as C from '../../common/wire/content.ts';

export { MAX_TEXT_CHARS } from '../../common/wire/content.ts';

// The content records themselves are defined in common/wire/content.ts; these names are the ones the core used first.
export type TextPayload = C.TextContentV1;
export type ReceiptPayload = C.ReceiptContent;
export type VerifiedPayload = C.VerifiedContent;
/** The version-1 records; decodeContent takes every kind. */
export const Payload = Type.Union([C.TextContentV1, C.ReceiptContent, C.VerifiedContent]);
export type Payload = Static<typeof Payload>;

const checkPayload = Compile(Payload);
const checkContent = Compile(C.Content);
const PAD_BLOCK = 160;

export class PayloadError extends Error {
  override name = 'PayloadError';
}

export function encodePayload(p: C.Content): Uint8Array {
  const raw = new TextEncoder().encode(JSON.stringify(p));
  const padded = new Uint8Array(Math.ceil((raw.length + 1) / PAD_BLOCK) * PAD_BLOCK);
  padded.set(raw);
  padded[raw.length] = 0x80;
  return padded;
}

export function decodePayload(bytes: Uint8Array): Payload {
  const value = unpad(bytes);
  if (!checkPayload.Check(value)) throw new PayloadError('message content does not match the payload schema');
  return value;
}

function unpad(bytes: Uint8Array): unknown {
  let end = bytes.length - 1;
  while (end >= 0 && bytes[end] === 0) end--;
  if (end < 0 || bytes[end] !== 0x80) throw new PayloadError('message padding is invalid');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end)));
  } catch {
    throw new PayloadError('message content is not valid JSON');
  }
  return value;
}

/**
 * Like decodePayload, but a record of a kind this client does not know (from a newer Parley) comes back as
 * UnknownContent instead of an error, so it can be shown as "needs a newer version" rather than lost.
 */
export function decodeContent(bytes: Uint8Array): C.Content | C.UnknownContent {
  const value = unpad(bytes);
  if (checkContent.Check(value)) return value;
  if (isRecord(value) && typeof value.kind === 'string' && !C.KNOWN_KINDS.has(value.kind) && typeof value.v === 'number' && value.v > 1) {
    const str = (k: string) => (typeof value[k] === 'string' ? (value[k] as string).slice(0, 64) : undefined);
    const messageId = str('messageId');
    return {
      kind: 'unknown', claimedKind: value.kind.slice(0, 32),
      ...(messageId && /^[A-Za-z0-9_-]{16,64}$/.test(messageId) ? { messageId } : {}),
      ...(typeof value.sentAt === 'number' && Number.isSafeInteger(value.sentAt) && value.sentAt >= 0 ? { sentAt: value.sentAt } : {}),
      ...(str('group') ? { group: str('group') } : {}),
      ...(str('to') ? { to: str('to') } : {}),
    };
  }
  throw new PayloadError('message content does not match the payload schema');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Both members of a direct chat derive the same conversation id from their user ids alone. */
export function directConversationId(a: string, b: string): string {
  const [x, y] = [a, b].sort();
  return `dm_${createHash('sha256').update(`${x}\n${y}`).digest('base64url').slice(0, 22)}`;
}
