// Fan-out sending: one request carries one envelope per device of the recipient and per other
// device of the sender, so the server never has to guess who should receive what.
import { DeviceMismatch, NoQuery, SendRequest, SendResponse } from '../../common/wire/schemas.ts';
import { authOf } from '../auth.ts';
import { unknownUser } from '../errors.ts';
import { checkFanout } from '../fanout.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';

export function messageRoutes(app: App, ctx: AppContext): void {
  app.post('/v1/messages', {
    onRequest: ctx.authenticate,
    schema: { querystring: NoQuery, body: SendRequest, response: replies({ 200: SendResponse, 409: DeviceMismatch, 410: DeviceMismatch }) },
  }, async (req) => {
    const sender = authOf(req);
    const { recipient, envelopes } = req.body;
    if (!(await ctx.store.users.get(recipient))) throw unknownUser();

    // Expected: every active device of the recipient and of the sender, except the sending device.
    const serverTimestamp = ctx.now();
    const toStore = await checkFanout(ctx.store, sender, [recipient, sender.userId], envelopes, serverTimestamp);
    await ctx.hub.storeEnvelopes(toStore);
    ctx.hub.notify(envelopes);
    return { serverTimestamp };
  });
}
