// The device side of the lifecycle, reachable without a bearer credential (a wiped device has none that
// works, and the client checks before its store is unlocked): requests are signed with the device's
// Ed25519 lifecycle key over `signedText` of the wire contract.
//   POST /v1/lifecycle/status        → active + a fresh signed lease | wipe | revoked
//   POST /v1/lifecycle/wipe-receipt  → the device reports a finished wipe
// Nobody is authenticated here, so nothing unverified may cost much or write much (finding 3): requests are
// rate-limited per client IP and per target device before any lookup, a signature is verified before anything
// is written, and nothing unverified is written at all (a refused receipt is one server log line per device per hour).
import type { FastifyRequest } from 'fastify';
import {
  DeviceStatusRequest, DeviceStatusResponse, WipeReceipt, WipeReceiptResponse, signedText, type Lease,
} from '../../common/wire/lifecycle.ts';
import { NoQuery } from '../../common/wire/schemas.ts';
import { ApiError, unknownDevice } from '../errors.ts';
import { verifyEd25519 } from '../lease-key.ts';
import type { DeviceRecord } from '../store/types.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';

/** Accepted clock difference between device and server. */
const MAX_SKEW_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const noSuchDevice = () => unknownDevice('No such device.');
const invalidSignature = () => new ApiError('invalid_signature');

export function lifecycleRoutes(app: App, ctx: AppContext): void {
  const verified = (device: DeviceRecord, text: string, signature: string) =>
    device.lifecycleKey !== null && verifyEd25519(device.lifecycleKey, text, signature);

  // Per client IP before the body is read, then (once it is valid) per target device.
  const limits = {
    onRequest: async (req: FastifyRequest) => ctx.limits.of('lifecycleByIp').consume(req.ip, 'lifecycle requests from this address'),
    preHandler: async (req: FastifyRequest) => {
      const { userId, deviceId } = req.body as { userId: string; deviceId: number };
      ctx.limits.of('lifecycleByDevice').consume(`${userId}/${deviceId}`, 'lifecycle requests for this device');
    },
  };

  app.post('/v1/lifecycle/status', {
    ...limits,
    schema: { querystring: NoQuery, body: DeviceStatusRequest, response: replies({ 200: DeviceStatusResponse }) },
  }, async (req): Promise<DeviceStatusResponse> => {
    const { userId, deviceId, timestamp, signature } = req.body;
    const device = await ctx.store.devices.get(userId, deviceId);
    if (!device) throw noSuchDevice();
    if (!verified(device, signedText.status(userId, deviceId, timestamp), signature)) throw invalidSignature();
    const now = ctx.now();
    if (Math.abs(now - timestamp) > MAX_SKEW_MS) {
      throw new ApiError('stale_request', `The request timestamp is more than ${MAX_SKEW_MS / 60_000} minutes away from the server clock.`,
        { serverTime: now });
    }
    const base = { organization: ctx.organization, serverTime: now };
    switch (device.state) {
      case 'wipe-pending':
      case 'wiped': // also after the receipt: a device that crashed mid-wipe still finishes
        return { ...base, status: 'wipe', wipe: { requestedAt: device.wipeRequestedAt ?? now, reason: device.wipeReason ?? '' } };
      case 'revoked':
        return { ...base, status: 'revoked' };
      case 'active': {
        const { offlineLockHours, offlineWipeDays } = ctx.offlinePolicy;
        const lockAfter = now + offlineLockHours * HOUR_MS;
        const wipeAfter = offlineWipeDays === null ? null : now + offlineWipeDays * DAY_MS;
        const lease: Lease = {
          issuedAt: now, lockAfter, wipeAfter,
          signature: ctx.leaseKey.sign(signedText.lease(userId, deviceId, now, lockAfter, wipeAfter)),
        };
        await ctx.store.devices.touch(userId, deviceId, now);
        return { ...base, status: 'active', lease };
      }
    }
  });

  app.post('/v1/lifecycle/wipe-receipt', {
    ...limits,
    schema: { querystring: NoQuery, body: WipeReceipt, response: replies({ 200: WipeReceiptResponse }) },
  }, async (req): Promise<WipeReceiptResponse> => {
    const { userId, deviceId, wipedAt, steps, signature } = req.body;
    const device = await ctx.store.devices.get(userId, deviceId);
    const user = device && await ctx.store.users.get(userId);
    if (!device || !user) throw noSuchDevice();
    // Receipts only mean something for a requested wipe; anything else is refused before it can touch the log.
    if (device.state !== 'wipe-pending' && device.state !== 'wiped') {
      throw new ApiError('no_wipe_requested');
    }
    const now = ctx.now();
    const target = { userId, email: user.email, deviceId };
    // Unauthenticated input never writes (not even to the audit log): a refusal is a server log line, at most one
    // per device per hour so forgeries cannot flood it, with opaque ids only (no email, no address).
    const refuse = (outcome: string, error: ApiError): never => {
      if (ctx.limits.of('refusedReceiptAudit').take(`${userId}/${deviceId}`) === 0) {
        req.log.warn({ userId, deviceId, outcome }, 'wipe receipt refused (further refusals for this device within the hour are not logged)');
      }
      throw error;
    };
    if (!verified(device, signedText.receipt(userId, deviceId, wipedAt, steps), signature)) {
      refuse('refused: the signature does not verify with the device\'s lifecycle key', invalidSignature());
    }
    if (wipedAt > now + MAX_SKEW_MS) {
      refuse('refused: wipedAt is in the future',
        new ApiError('invalid_timestamp'));
    }
    if (device.state === 'wipe-pending') {
      await ctx.store.devices.changeState({ userId, deviceId, state: 'wiped', at: now, purge: true }, {
        at: now, actor: { userId, email: user.email }, action: 'wipe confirmed', target, reason: device.wipeReason ?? '',
        outcome: `wiped at ${new Date(wipedAt).toISOString()}; verified steps: ${steps.join(', ')}`,
      });
      req.log.info({ userId, deviceId }, 'wipe confirmed');
    }
    // Already wiped: a retransmitted receipt is confirmed again without a second audit entry.
    return { confirmed: true as const };
  });
}
