// Handlers for the business tools (issue #15): the company profile (logo checked in the core before the UI gets
// it), the welcome message, away and greeting messages, quick replies, and statistics (own, and org admins').
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AutoRepliesView, BusinessProfileView } from '../../../common/app-api/contract.ts';
import { UsageError, type Messenger } from '../../core/messenger.ts';
import type { AppHost, Handlers } from '../host.ts';

type BusinessMethods = 'business.profile' | 'business.setProfile' | 'business.unseenWelcome' | 'business.welcome' | 'business.setWelcome'
  | 'business.autoReplies' | 'business.setAway' | 'business.awayOff' | 'business.setGreeting' | 'business.awayOf'
  | 'business.quickReplies' | 'business.addQuickReply' | 'business.removeQuickReply' | 'business.stats' | 'business.adminStats';

async function profileView(m: Messenger): Promise<BusinessProfileView> {
  const profile = await m.business.org.profile();
  if (!profile?.logo) return { profile };
  // A logo this device refuses (wrong type, size or hash) is left out; the profile still shows.
  const logo = await m.business.org.logo().catch(() => undefined);
  return { profile, ...(logo ? { logo: { contentType: logo.contentType, data: Buffer.from(logo.bytes).toString('base64') } } : {}) };
}

async function autoRepliesView(m: Messenger): Promise<AutoRepliesView> {
  const a = m.business.autoReplies.away();
  return {
    away: a ? {
      text: a.text, ...(a.until !== undefined ? { until: a.until } : {}), outsideWorkingHours: a.outsideWorkingHours,
      publish: a.publish, awayNow: await m.business.autoReplies.awayNow(),
    } : null,
    greeting: m.business.autoReplies.greeting(),
  };
}

/** The org admin's logo upload goes through the same file check as the CLI's (org.ts readLogoFile). */
function withLogoFile<T>(base64: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-logo-'));
  const path = join(dir, 'logo');
  writeFileSync(path, Buffer.from(base64, 'base64'), { mode: 0o600 });
  return fn(path).finally(() => rmSync(dir, { recursive: true, force: true }));
}

export function businessHandlers(host: AppHost): Pick<Handlers, BusinessMethods> {
  const ready = () => host.requireReady();
  return {
    'business.profile': async () => {
      const m = ready();
      return host.guard(() => profileView(m));
    },
    'business.setProfile': async (input) => {
      const m = ready();
      const base = { name: input.name, description: input.description, website: input.website, support: input.support, officeHours: input.officeHours };
      const set = (logoFile?: string | null) => host.guard(() => m.business.org.setProfile({ ...base, ...(logoFile !== undefined ? { logoFile } : {}) }));
      if (typeof input.logo === 'string') await withLogoFile(input.logo, set);
      else await set(input.logo);
      return host.guard(() => profileView(m));
    },
    'business.unseenWelcome': async () => {
      const m = ready();
      return { text: await m.business.org.unseenWelcome().catch(() => null) };
    },
    'business.welcome': async () => {
      const m = ready();
      return { text: await host.guard(() => m.business.org.welcome()) };
    },
    'business.setWelcome': async (input) => {
      const m = ready();
      return { text: await host.guard(() => m.business.org.setWelcome(input.text)) };
    },
    'business.autoReplies': async () => autoRepliesView(ready()),
    'business.setAway': async (input) => {
      const m = ready();
      await host.guard(() => m.business.autoReplies.setAway(input));
      return autoRepliesView(m);
    },
    'business.awayOff': async () => {
      const m = ready();
      await host.guard(() => m.business.autoReplies.awayOff());
      return autoRepliesView(m);
    },
    'business.setGreeting': async (input) => {
      const m = ready();
      await m.business.autoReplies.setGreeting(input.text);
      return autoRepliesView(m);
    },
    'business.awayOf': async (input) => {
      const m = ready();
      const c = m.conversation(input.conversationId);
      if (!c?.peerUserId) return { away: null };
      const away = await m.business.autoReplies.awayOf(c.peerUserId).catch(() => null);
      return { away: away ? { ...away, name: c.title } : null };
    },
    'business.quickReplies': async () => ready().business.quickReplies.list(),
    'business.addQuickReply': async (input) => (await ready().business.quickReplies.add(input.shortcut, input.text)).items,
    'business.removeQuickReply': async (input) => (await ready().business.quickReplies.remove(input.shortcut)).items,
    'business.stats': async (input) => ready().business.stats(input.days ?? 30),
    'business.adminStats': async (input) => {
      const m = ready();
      return host.guard(() => m.business.org.adminStats(input.days ?? 30));
    },
  };
}

export { UsageError };
