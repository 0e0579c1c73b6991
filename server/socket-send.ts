// `send` frames on the delivery socket (common/wire/socket-send.ts): the 1:1 send of POST /v1/messages without
// an HTTP request. The socket was authenticated at the upgrade, and a revoked or wiped device's socket is closed
// by DeliveryHub.evict, so a frame is the device's own; everything else is the route's own code (acceptSend):
// consent, held delivery and urgent, sendId idempotency, the device-set check. Each frame gets exactly one
// `send-result` with the route's status and body; a refusal is one line of the server log, like an HTTP one.
import type { FastifyBaseLogger } from 'fastify';
import { Compile } from 'typebox/compile';
import { ERRORS } from '../common/errors.ts';
import { SendFrame, type SendResultFrame } from '../common/wire/socket-send.ts';
import type { AppContext } from './context.ts';
import type { DeliveryHub, SocketPeer } from './delivery.ts';
import { ApiError, errorBody } from './errors.ts';
import { acceptSend } from './routes/messages.ts';

const checkFrame = Compile(SendFrame);
/** As server/auth.ts does per request: a device sending over its socket is seen, written at most once a minute. */
const LAST_SEEN_RESOLUTION_MS = 60_000;
const touchedAt = new WeakMap<SocketPeer, number>();
const REQ = /^[A-Za-z0-9_-]{1,32}$/;

/** The route's answer for a thrown error: ApiError as it says, anything else 500 (logged). */
function failure(err: unknown, log: FastifyBaseLogger): { status: number; body: unknown } {
  if (err instanceof ApiError) return { status: err.statusCode, body: err.body() };
  log.error({ err }, 'socket send failed');
  return { status: ERRORS.internal_error.status, body: errorBody('internal_error') };
}

/** Serves `send` frames of every delivery socket of `hub`. */
export function serveSocketSends(ctx: AppContext, hub: DeliveryHub, log: FastifyBaseLogger): void {
  hub.onRequests((peer, text) => {
    let frame: unknown;
    try { frame = JSON.parse(text); } catch { frame = undefined; }
    const req = (frame as { req?: unknown } | undefined)?.req;
    // Without a usable `req` nothing can be answered: a malformed frame like any other.
    if (typeof req !== 'string' || !REQ.test(req)) { hub.badFrame(peer); return; }
    const answer = (status: number, body: unknown) => peer.reply({ type: 'send-result', req, status, body } satisfies SendResultFrame);
    const retryAfterMs = peer.meter.takeSend();
    if (retryAfterMs > 0) {
      // Over budget: refused, and the refusals themselves count against the socket's frame bucket (a flood closes it).
      if (!peer.meter.take()) { hub.flooded(peer); return; }
      answer(ERRORS.rate_limited.status, { ...errorBody('rate_limited', 'Too many sends on this socket; retry later.'), retryAfterMs });
      return;
    }
    if (!checkFrame.Check(frame)) {
      const first = checkFrame.Errors(frame)[0];
      answer(ERRORS.invalid_request.status, errorBody('invalid_request', `Invalid request: ${first ? `${first.instancePath || '/'} ${first.message}` : 'not a send frame'}.`));
      return;
    }
    const sender = { userId: peer.userId, deviceId: peer.deviceId };
    const t = ctx.now();
    if (t - (touchedAt.get(peer) ?? 0) > LAST_SEEN_RESOLUTION_MS) {
      touchedAt.set(peer, t);
      ctx.store.devices.touch(sender.userId, sender.deviceId, t).catch((err: unknown) => log.warn({ err }, 'could not record last seen'));
    }
    peer.begin(text.length);
    acceptSend(ctx, sender, frame.send).then((result) => {
      ctx.sends.socketSend(frame.send.envelopes.length, sender);
      answer(200, result);
    }, (err: unknown) => {
      const { status, body } = failure(err, log);
      log.info({ method: 'SEND', url: '/v1/ws', statusCode: status, userId: sender.userId, deviceId: sender.deviceId }, 'socket send refused');
      answer(status, body);
    }).finally(() => peer.end(text.length));
  });
}
