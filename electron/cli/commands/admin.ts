// `parley admin …`: org admins list devices, wipe or revoke them, and read the audit log. Device names
// and reasons are typed by others (a device's name is its host name): printed cleaned (terminal.ts).
import type { Messenger } from '../../core/messenger.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';
import { CSV_HEADER, auditView, csvRow, parseSince } from '../../core/admin/audit-view.ts';

const minute = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
const second = (t: number) => new Date(t).toISOString().replace('T', ' ').slice(0, 19);

export async function adminCommand(m: Messenger, { command, values }: Parsed): Promise<void> {
  switch (command) {
    case 'admin devices': {
      const { users } = await m.admin.users(values.user);
      if (values.json) { sayJson(users); return; }
      for (const u of users) {
        say(`${u.name} <${u.email}>${u.orgAdmin ? ' (org admin)' : ''}`);
        if (u.devices.length === 0) say('  (no devices)');
        for (const d of u.devices) say(`  ${d.id}  ${d.state.padEnd(12)} ${d.name}  last seen ${minute(d.lastSeen)}`);
      }
      return;
    }
    case 'admin wipe':
    case 'admin revoke': {
      if ((values.user === undefined) === (values.device === undefined)) throw new ExitError(2, `${command} needs exactly one of --user EMAIL or --device ID`);
      let target: { email: string } | { userId: string; deviceId: number };
      if (values.device !== undefined) {
        const match = /^(u_[A-Za-z0-9_-]{22})\.([1-9][0-9]{0,6})$/.exec(values.device);
        if (!match) throw new ExitError(2, `not a device ID (expected USERID.N as shown by admin devices): ${values.device}`);
        target = { userId: match[1]!, deviceId: Number(match[2]) };
      } else target = { email: values.user! };
      const req = { ...target, reason: values.reason ?? '' };
      const r = command === 'admin wipe' ? await m.admin.wipe(req) : await m.admin.revoke(req);
      const n = r.devices.length;
      say(`${command === 'admin wipe' ? 'wipe requested for' : 'revoked'} ${n} device${n === 1 ? '' : 's'}: ${r.devices.map((d) => `${d.userId}.${d.deviceId}`).join(', ')}`);
      return;
    }
    case 'admin consent': {
      const list = await m.workplace.adminConsent();
      if (values.json) { sayJson(list); return; }
      say(`Current messaging policy: version ${list.version}`);
      for (const u of list.users) {
        const state = u.version === null ? 'not accepted' : `${u.current ? 'accepted' : `accepted an older version (${u.version})`} ${minute(u.acceptedAt!)} from device ${u.deviceId}`;
        say(`${u.name} <${u.email}>  ${state}`);
      }
      return;
    }
    case 'admin audit': {
      if (values.json && values.csv) throw new ExitError(2, 'admin audit takes --json or --csv, not both');
      let since: number | undefined;
      if (values.since !== undefined) {
        since = parseSince(values.since);
        if (since === undefined) throw new ExitError(2, `--since takes a date or an ISO time with a zone (2026-01-31, 2026-01-31T09:00:00Z), got "${values.since}"`);
      }
      const views = (await m.admin.auditAll(since !== undefined ? { since } : {})).map(auditView);
      if (values.json) { sayJson(views); return; }
      if (values.csv) {
        // Spreadsheet-safe cells; the lines themselves cleaned like all output (names and reasons come from others).
        say(CSV_HEADER);
        for (const v of views) say(csvRow(v));
        return;
      }
      for (const v of views) {
        const { reason, outcome, ...rest } = v.details;
        const extra = Object.keys(rest).length > 0 ? `  ${JSON.stringify(rest)}` : '';
        say(`${second(Date.parse(v.at))}  ${v.action.padEnd(22)} ${v.target}  by ${v.actor}  ${reason ? `"${String(reason)}" ` : ''}→ ${String(outcome ?? '')}${extra}`);
      }
      return;
    }
  }
}
