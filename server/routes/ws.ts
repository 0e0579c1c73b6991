// GET /v1/ws: the delivery socket. Authentication happens in onRequest, i.e. before the upgrade,
// so a bad credential gets a plain HTTP 401 and never a socket.
import type {} from '@fastify/websocket'; // route option typings (websocket: true)
import { NoQuery } from '../../common/wire/schemas.ts';
import { authOf } from '../auth.ts';
import type { App, AppContext } from '../context.ts';
import { NoBody, replies } from '../responses.ts';

export function wsRoutes(app: App, ctx: AppContext): void {
  app.get('/v1/ws', {
    websocket: true,
    onRequest: [ctx.authenticate, async (req) => {
      const { userId, deviceId } = authOf(req);
      // No messages for someone who has not accepted the current messaging policy (a plain 403 before the upgrade).
      await ctx.workplace.requireConsentOf(userId);
      ctx.limits.of('wsConnectByDevice').consume(`${userId}/${deviceId}`, 'delivery connections for this device');
    }],
    // 101 and then ServerFrame/ClientFrame messages (common/wire/schemas.ts); refusals are ErrorBody.
    schema: { querystring: NoQuery, response: replies({ 101: NoBody }) },
  }, (socket, req) => {
    const { userId, deviceId } = authOf(req);
    // Authenticated: one socket per device, so it no longer counts against its address's cap.
    ctx.connections.exempt(req.raw.socket);
    ctx.connections.watch(socket);
    ctx.hub.attach(userId, deviceId, socket);
    // The access line of the upgrade (onResponse does not run for a socket).
    req.log.info({ method: 'GET', url: '/v1/ws', remoteAddress: req.ip, statusCode: 101, userId, deviceId }, 'delivery socket opened');
    // An admin action between authentication and attach found no socket to close: check once more.
    void ctx.store.devices.get(userId, deviceId).then((d) => {
      if (d && d.state !== 'active') ctx.hub.evict(userId, deviceId, d.state === 'revoked' ? 'revoke' : 'wipe');
    }, (err: unknown) => req.log.error({ err }, 'device state re-check failed'));
  });
}
