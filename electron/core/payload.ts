// What travels inside the Signal ciphertext, client to client. The server never sees it.
// Padded Signal-style (0x80 then zeros to a multiple of 160 bytes) so ciphertext length says little about
// the text length.
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { createHash } from 'node:crypto';
import { PublicKey, UserId } from '../../common/wire/schemas.ts';
import { GroupId } from '../../common/wire/groups.ts';

export const MAX_TEXT_CHARS = 8000;

export const TextPayload = Type.Object({
  v: Type.Literal(1),
  kind: Type.Literal('text'),
  messageId: Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' }),
  sentAt: Type.Integer({ minimum: 0 }),
  text: Type.String({ minLength: 1, maxLength: MAX_TEXT_CHARS }),
  /** Present on the copy a sender's own other devices get: whom the message was sent to. */
  to: Type.Optional(UserId),
  /**
   * A group message. Accepted only when the server relayed the envelope for this same group (it checks
   * membership at send time and stamps the envelope), so the group cannot be forged through a 1:1 send.
   */
  group: Type.Optional(GroupId),
}, { additionalProperties: false });
export type TextPayload = Static<typeof TextPayload>;

/** "Your message reached my device": sent back by the recipient once the messages are stored. */
export const ReceiptPayload = Type.Object({
  v: Type.Literal(1),
  kind: Type.Literal('receipt'),
  receipt: Type.Literal('delivered'),
  messageIds: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' }), { minItems: 1, maxItems: 100 }),
  sentAt: Type.Integer({ minimum: 0 }),
  /** The messages were group messages of this group (receipts always travel 1:1). */
  group: Type.Optional(GroupId),
}, { additionalProperties: false });
export type ReceiptPayload = Static<typeof ReceiptPayload>;

/**
 * "I verified this contact's safety number": sent by a user's device to the user's other devices over the
 * pairwise sessions, so a verification in the CLI shows in the app. A receiving device applies it only
 * when it comes from one of the user's own devices and every key matches the one it has itself.
 */
export const VerifiedPayload = Type.Object({
  v: Type.Literal(1),
  kind: Type.Literal('verified'),
  userId: UserId,
  /** deviceId → base64 identity key: exactly the keys that were verified. */
  keys: Type.Record(Type.String({ pattern: '^[1-9][0-9]{0,6}$' }), PublicKey, { minProperties: 1, maxProperties: 1000 }),
  safetyNumber: Type.String({ pattern: '^[0-9]{5}( [0-9]{5}){11}$' }),
  sentAt: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
export type VerifiedPayload = Static<typeof VerifiedPayload>;

export const Payload = Type.Union([TextPayload, ReceiptPayload, VerifiedPayload]);
export type Payload = Static<typeof Payload>;

const checkPayload = Compile(Payload);
const PAD_BLOCK = 160;

export class PayloadError extends Error {
  override name = 'PayloadError';
}

export function encodePayload(p: Payload): Uint8Array {
  const raw = new TextEncoder().encode(JSON.stringify(p));
  const padded = new Uint8Array(Math.ceil((raw.length + 1) / PAD_BLOCK) * PAD_BLOCK);
  padded.set(raw);
  padded[raw.length] = 0x80;
  return padded;
}

export function decodePayload(bytes: Uint8Array): Payload {
  let end = bytes.length - 1;
  while (end >= 0 && bytes[end] === 0) end--;
  if (end < 0 || bytes[end] !== 0x80) throw new PayloadError('message padding is invalid');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end)));
  } catch {
    throw new PayloadError('message content is not valid JSON');
  }
  if (!checkPayload.Check(value)) throw new PayloadError('message content does not match the payload schema');
  return value;
}

/** Both members of a direct chat derive the same conversation id from their user ids alone. */
export function directConversationId(a: string, b: string): string {
  const [x, y] = [a, b].sort();
  return `dm_${createHash('sha256').update(`${x}\n${y}`).digest('base64url').slice(0, 22)}`;
}
