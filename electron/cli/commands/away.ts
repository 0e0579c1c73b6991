// `parley away set TEXT [--until ISO] [--outside-working-hours] [--private] | off | show` and
// `parley greeting set TEXT | off | show`: the automatic replies this device sends (core/business/auto-reply.ts).
import type { Messenger } from '../../core/messenger.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';

/** An ISO 8601 date or date-time; a bare date means the start of that day here. */
function parseUntil(value: string): number {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`).getTime() : Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) throw new ExitError(2, `--until takes an ISO date or date-time such as 2026-12-24 or 2026-12-24T09:00, got "${value}"`);
  return t;
}

const when = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

export async function awayCommand(m: Messenger, { command, args, values }: Parsed): Promise<void> {
  const auto = m.business.autoReplies;
  switch (command) {
    case 'away set': {
      const a = await auto.setAway({
        text: args[0]!, ...(values.until !== undefined ? { until: parseUntil(values.until) } : {}),
        outsideWorkingHours: Boolean(values['outside-working-hours']), publish: !values.private,
      });
      if (values.json) { sayJson(a); return; }
      say(`Away message on${a.until !== undefined ? ` until ${when(a.until)}` : ''}${a.outsideWorkingHours ? ', outside working hours only' : ''}; ${a.publish ? 'people see it before they write to you' : 'not shown in the directory'}.`);
      return;
    }
    case 'away off':
      await auto.awayOff();
      say('Away message off.');
      return;
    case 'away show': {
      const a = auto.away();
      const now = a ? await auto.awayNow() : false;
      if (values.json) { sayJson(a ? { ...a, awayNow: now } : null); return; }
      if (!a) { say('No away message.'); return; }
      say(a.text);
      say(`${now ? 'Away now' : 'Not away now'}${a.until !== undefined ? ` · until ${when(a.until)}` : ''}${a.outsideWorkingHours ? ' · outside working hours only' : ''} · ${a.publish ? 'shown in the directory' : 'private'}`);
      return;
    }
    case 'greeting set':
      await auto.setGreeting(args[0]!);
      say('Greeting saved: it is sent once to each person who writes to you for the first time.');
      return;
    case 'greeting off':
      await auto.setGreeting(null);
      say('Greeting off.');
      return;
    case 'greeting show': {
      const g = auto.greeting();
      if (values.json) { sayJson({ greeting: g }); return; }
      say(g ?? 'No greeting.');
      return;
    }
  }
}
