// Sending over the delivery socket (GET /v1/ws): the same send as POST /v1/messages, as a frame on the socket the
// device already holds, so a send costs no HTTP request nor credential check. The server answers every `send`
// frame with one `send-result` frame carrying the same `req` and exactly what the HTTP route would have answered:
// `status` (200, 409/410 with DeviceMismatch, 4xx/5xx with ErrorBody) and `body`. Same checks as the route
// (consent, working hours and urgent, sendId idempotency, device-set check), plus a per-socket send budget
// (429 rate_limited). Results may come back in any order; `req` pairs them up.
import { Type, type Static } from 'typebox';
import { LIMITS, SendRequest, type ServerFrame } from './schemas.ts';

/** The client's name for one request on this socket (unique among its outstanding ones). */
export const SocketRequestId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' });

export const SendFrame = Type.Object({
  type: Type.Literal('send'),
  req: SocketRequestId,
  send: SendRequest,
}, { additionalProperties: false });
export type SendFrame = Static<typeof SendFrame>;

/** The answer to a SendFrame (one of ServerFrame's). */
export type SendResultFrame = Extract<ServerFrame, { type: 'send-result' }>;

/** The largest `send` frame: a whole send body and its wrapping. */
export const SEND_FRAME_BYTES = LIMITS.bodyBytes + 1024;
