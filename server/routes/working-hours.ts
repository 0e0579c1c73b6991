// A person's own working hours (issue #14): GET/PUT/DELETE /v1/me/working-hours. Within the org's bounds
// (server/workplace/hours.ts outsideOrgBounds: narrow or shift, never extend). A change re-times the messages
// held for them — released at once if they are now at work.
import { NoQuery } from '../../common/wire/schemas.ts';
import { SetWorkingHoursRequest, WorkingHoursView } from '../../common/wire/workplace.ts';
import { authOf } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';
import { isTimeZone, offUntil, outsideOrgBounds } from '../workplace/hours.ts';

export function workingHoursRoutes(app: App, ctx: AppContext): void {
  const schema = { querystring: NoQuery, response: replies({ 200: WorkingHoursView }) };

  const view = async (userId: string): Promise<WorkingHoursView> => {
    const h = await ctx.workplace.hoursOf(userId);
    const until = h && offUntil(h.hours, ctx.now());
    return {
      effective: h?.hours ?? null, source: h ? (h.own ? 'own' : 'org') : 'none', org: ctx.workplace.orgHours ?? null,
      ...(until !== undefined ? { offUntil: until } : {}),
    };
  };

  /** The held messages follow the new hours: released now if the person is at work, else held until their next start. */
  const retime = async (userId: string): Promise<void> => {
    const a = await ctx.workplace.availability(userId);
    const released = await ctx.store.workplace.rehold(userId, a ? a.offUntil : null);
    ctx.releaser.notify(released);
  };

  app.get('/v1/me/working-hours', { onRequest: ctx.authenticate, schema }, async (req) => view(authOf(req).userId));

  app.put('/v1/me/working-hours', { onRequest: ctx.authenticate, schema: { ...schema, body: SetWorkingHoursRequest } }, async (req) => {
    const { userId } = authOf(req);
    const org = ctx.workplace.orgHours;
    if (!org) throw new ApiError('working_hours_off');
    const own = { timeZone: req.body.timeZone, days: req.body.days, start: req.body.start, end: req.body.end };
    if (!isTimeZone(own.timeZone)) throw new ApiError('invalid_request', `Unknown time zone ${own.timeZone}.`);
    if (own.start === own.end) throw new ApiError('invalid_request', 'A working day must start and end at different times.');
    const why = outsideOrgBounds(own, org);
    if (why) throw new ApiError('outside_org_hours', why);
    await ctx.store.workplace.setHours(userId, own, ctx.now());
    await retime(userId);
    return view(userId);
  });

  app.delete('/v1/me/working-hours', { onRequest: ctx.authenticate, schema }, async (req) => {
    const { userId } = authOf(req);
    await ctx.store.workplace.setHours(userId, null, ctx.now());
    await retime(userId);
    return view(userId);
  });
}
