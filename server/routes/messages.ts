// Fan-out sending: one request carries one envelope per device of the recipient and per other
// device of the sender, so the server never has to guess who should receive what.
import { Type } from 'typebox';
import { SendRequest, type DeviceAddress, type DeviceRef } from '../wire/schemas.ts';
import { authOf } from '../auth.ts';
import { decodeBase64 } from '../base64.ts';
import { ApiError, unknownUser } from '../errors.ts';
import type { NewEnvelope } from '../store/types.ts';
import type { App, AppContext } from '../context.ts';

const addr = (a: DeviceAddress) => `${a.userId}/${a.deviceId}`;

export function messageRoutes(app: App, ctx: AppContext): void {
  app.post('/v1/messages', {
    onRequest: ctx.authenticate,
    schema: { querystring: Type.Object({}, { additionalProperties: false }), body: SendRequest },
  }, async (req) => {
    const sender = authOf(req);
    const { recipient, envelopes } = req.body;
    if (!(await ctx.store.getUser(recipient))) throw unknownUser();

    const contents = envelopes.map((e, i) => {
      const bytes = decodeBase64(e.content);
      if (!bytes) throw new ApiError(400, 'invalid_base64', `envelopes[${i}].content is not canonical base64.`);
      return bytes;
    });
    const seen = new Set<string>();
    for (const e of envelopes) {
      if (seen.has(addr(e))) throw new ApiError(400, 'duplicate_device', `Two envelopes address ${addr(e)}.`);
      seen.add(addr(e));
    }

    // Expected: every active device of the recipient and of the sender, except the sending device.
    const refs = async (userId: string): Promise<DeviceRef[]> =>
      (await ctx.store.activeDevices(userId)).map(({ deviceId, registrationId }) => ({ deviceId, registrationId }));
    const devices: Record<string, DeviceRef[]> = { [recipient]: await refs(recipient) };
    devices[sender.userId] ??= await refs(sender.userId);
    const expected = new Map<string, DeviceAddress & DeviceRef>();
    for (const [userId, refs] of Object.entries(devices)) {
      for (const ref of refs) {
        if (userId === sender.userId && ref.deviceId === sender.deviceId) continue;
        expected.set(addr({ userId, deviceId: ref.deviceId }), { userId, ...ref });
      }
    }
    const missing = [...expected.values()].filter((d) => !seen.has(addr(d))).map(({ userId, deviceId }) => ({ userId, deviceId }));
    const extra = envelopes.filter((e) => !expected.has(addr(e))).map(({ userId, deviceId }) => ({ userId, deviceId }));
    if (missing.length > 0 || extra.length > 0) {
      throw new ApiError(409, 'mismatched_devices', 'The envelopes do not match the current devices; refresh the device lists and retry.',
        { missing, extra, stale: [], devices });
    }
    const stale = envelopes.filter((e) => expected.get(addr(e))!.registrationId !== e.registrationId)
      .map(({ userId, deviceId }) => ({ userId, deviceId }));
    if (stale.length > 0) {
      throw new ApiError(410, 'stale_devices', 'Some devices were re-installed; fetch new key bundles for them and retry.',
        { missing: [], extra: [], stale, devices });
    }

    const serverTimestamp = ctx.now();
    const toStore: NewEnvelope[] = envelopes.map((e, i) => ({
      destUser: e.userId, destDevice: e.deviceId, sourceUser: sender.userId, sourceDevice: sender.deviceId,
      type: e.type, content: contents[i]!, serverTimestamp,
    }));
    await ctx.store.storeEnvelopes(toStore);
    ctx.hub.notify(envelopes);
    return { serverTimestamp };
  });
}
