// `parley working-hours show|set|reset`: this person's working hours, kept by the relay (it holds messages that
// arrive while they are off work until their next working period). Own hours stay within the org's: fewer of its
// days, a day no longer than its day, at any time and in any zone (the server explains a refusal).
import type { WorkingHoursView } from '../../../common/wire/workplace.ts';
import type { WorkingHours } from '../../../common/wire/org-rules.ts';
import { formatDays, formatOffUntil, parseDays } from '../../../common/workplace-notice.ts';
import type { Messenger } from '../../core/messenger.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';

const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
const hoursLine = (h: WorkingHours) => `${formatDays(h.days)} ${h.start}–${h.end} (${h.timeZone})`;

function show(v: WorkingHoursView, json: boolean | undefined): void {
  if (json) {
    sayJson({ ...v, offUntil: v.offUntil === undefined ? null : new Date(v.offUntil).toISOString() });
    return;
  }
  if (!v.effective) { say('Your organization sets no working hours: messages to you always arrive at once.'); return; }
  say(`Working hours: ${hoursLine(v.effective)}${v.source === 'own' ? ' (your own)' : " (your organization's)"}`);
  if (v.source === 'own' && v.org) say(`Organization: ${hoursLine(v.org)}`);
  say(v.offUntil === undefined
    ? 'You are at work now: messages arrive at once.'
    : `You are off work until ${formatOffUntil(v.offUntil, v.effective.timeZone)}: messages to you are held until then (unless urgent).`);
}

export async function workingHoursCommand(m: Messenger, { command, values }: Parsed): Promise<void> {
  switch (command) {
    case 'working-hours show':
      show(await m.workplace.hours(), values.json);
      return;
    case 'working-hours set': {
      if (values.days === undefined || values.from === undefined || values.to === undefined) {
        throw new ExitError(2, 'working-hours set needs --days DAYS --from HH:MM --to HH:MM (e.g. --days mon-fri --from 09:00 --to 17:30)');
      }
      const days = parseDays(values.days);
      if (!days) throw new ExitError(2, `--days takes days like mon-fri or mon,wed,fri, got "${values.days}"`);
      for (const [opt, v] of [['--from', values.from], ['--to', values.to]] as const) {
        if (!HHMM.test(v)) throw new ExitError(2, `${opt} takes a time as HH:MM (24-hour), got "${v}"`);
      }
      // Without --tz: the zone the hours are kept in now (own or the org's).
      let timeZone = values.tz;
      if (timeZone === undefined) timeZone = (await m.workplace.hours()).effective?.timeZone;
      if (timeZone === undefined) throw new ExitError(2, 'your organization sets no working hours, so there are none to change');
      try { new Intl.DateTimeFormat('en', { timeZone }); } catch { throw new ExitError(2, `--tz takes a time zone like Europe/Berlin, got "${timeZone}"`); }
      show(await m.workplace.setHours({ timeZone, days: days as WorkingHours['days'], start: values.from, end: values.to }), values.json);
      return;
    }
    case 'working-hours reset':
      show(await m.workplace.resetHours(), values.json);
      return;
  }
}
