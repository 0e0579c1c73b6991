// Handlers for the workplace rules (issue #14): the Settings section "Working hours", the composer's notice about
// people off work (and whether "Send now as urgent" is offered), and the admin console's Consent page.
import type { AppHost, Handlers } from '../host.ts';
import { UsageError } from '../../core/messenger.ts';

type WorkplaceMethods = 'workplace.hours' | 'workplace.setHours' | 'workplace.resetHours' | 'workplace.availability' | 'admin.consent';

/** Directory lookups per chat are bounded: a large group shows the first ones off work. */
const MAX_LOOKUPS = 50;

export function workplaceHandlers(host: AppHost): Pick<Handlers, WorkplaceMethods> {
  return {
    'workplace.hours': async () => host.guard(() => host.requireReady().workplace.hours()),
    'workplace.setHours': async (hours) => host.guard(() => host.requireReady().workplace.setHours(hours)),
    'workplace.resetHours': async () => host.guard(() => host.requireReady().workplace.resetHours()),

    'workplace.availability': async ({ conversationId }) => {
      const m = host.requireReady();
      const c = m.conversation(conversationId);
      if (!c) throw new UsageError('no such conversation');
      let people: Array<{ userId: string; email: string; name: string }>;
      if (c.kind === 'group') {
        people = (await host.guard(() => m.groupInfo(conversationId))).members.filter((p) => !p.you);
      } else {
        const contact = c.peerUserId ? m.contact(c.peerUserId) : undefined;
        people = contact ? [{ userId: contact.userId, email: contact.email, name: contact.name }] : [];
      }
      const offWork = [];
      for (const p of people.slice(0, MAX_LOOKUPS)) {
        const a = await m.workplace.availabilityOf(p.email).catch(() => undefined);
        if (a) offWork.push({ userId: p.userId, name: p.name, offUntil: a.offUntil, timeZone: a.timeZone });
      }
      const rule = (await m.fetchPolicy().catch(() => undefined))?.rules?.urgent ?? 'everyone';
      return { offWork, urgentAllowed: rule === 'everyone' || (rule === 'admins' && m.me.orgAdmin === true) };
    },

    'admin.consent': async () => host.guard(() => host.requireReady().workplace.adminConsent()),
  };
}
