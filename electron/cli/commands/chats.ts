// `parley chats [--archived] [--json]` and `parley chats mute|unmute|pin|unpin|archive|unarchive
// CONVERSATION [--for 8h]`: this device's chat list and per-chat settings (kept locally, no server needed).
// CONVERSATION is a conversation id, the email of the person in a direct chat, or a group chat's name.
import { MUTED_FOREVER, type Messenger } from '../../core/messenger.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** --for: a whole number of minutes, hours, days or weeks ("30m", "8h", "2d", "1w"), at most a year. */
export function durationMs(value: string): number {
  const match = /^([1-9][0-9]{0,5})([mhdw])$/.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : NaN;
  if (!match || ms > 366 * UNIT_MS.d!) throw new ExitError(2, `--for takes a time like 30m, 8h, 2d or 1w (at most a year), got "${value}"`);
  return ms;
}

const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export async function chatsCommand(m: Messenger, { command, args, values }: Parsed): Promise<void> {
  if (command === 'chats') {
    const settings = m.chatSettings.all();
    const rows = m.conversations()
      .map((c) => {
        const s = settings.get(c.id) ?? {};
        const email = c.peerUserId ? m.contact(c.peerUserId)?.email ?? null : null;
        return {
          conversationId: c.id, kind: c.kind === 'group' ? 'group' : 'direct', title: c.title, email, unread: c.unread,
          lastMessageAt: new Date(c.lastMessageAt).toISOString(), muted: s.mutedUntil !== undefined,
          mutedUntil: s.mutedUntil === undefined || s.mutedUntil === MUTED_FOREVER ? null : new Date(s.mutedUntil).toISOString(),
          pinned: s.pinnedAt !== undefined, archived: s.archivedAt !== undefined, draft: s.draft ?? '', pinnedAt: s.pinnedAt ?? 0,
        };
      })
      .filter((r) => r.archived === Boolean(values.archived))
      .sort((a, b) => Number(b.pinned) - Number(a.pinned) || a.pinnedAt - b.pinnedAt || b.lastMessageAt.localeCompare(a.lastMessageAt));
    if (values.json) { sayJson(rows.map(({ pinnedAt: _, ...r }) => r)); return; }
    if (rows.length === 0) say(values.archived ? '(no archived chats)' : '(no chats)');
    for (const r of rows) {
      const flags = [r.pinned ? 'pinned' : '', r.muted ? (r.mutedUntil ? `muted until ${minute(Date.parse(r.mutedUntil))}` : 'muted') : '',
        r.archived ? 'archived' : '', r.unread > 0 ? `${r.unread} unread` : '', r.draft ? 'draft' : ''].filter(Boolean);
      say(`${r.conversationId}  ${r.title}${r.email ? ` <${r.email}>` : ''}${flags.length ? `  (${flags.join(', ')})` : ''}`);
    }
    return;
  }
  const verb = command.slice('chats '.length);
  if (values.for !== undefined && verb !== 'mute') throw new ExitError(2, '--for applies only to "chats mute"');
  const id = m.chatSettings.find(args[0]!);
  const title = m.conversation(id)?.title ?? id;
  switch (verb) {
    case 'mute': {
      const s = await m.chatSettings.setMuted(id, true, values.for === undefined ? undefined : durationMs(values.for));
      say(`muted ${title}${s.mutedUntil !== undefined && s.mutedUntil !== MUTED_FOREVER ? ` until ${minute(s.mutedUntil)} UTC` : ' until you unmute it'}`);
      return;
    }
    case 'unmute': await m.chatSettings.setMuted(id, false); say(`unmuted ${title}`); return;
    case 'pin': await m.chatSettings.setPinned(id, true); say(`pinned ${title}`); return;
    case 'unpin': await m.chatSettings.setPinned(id, false); say(`unpinned ${title}`); return;
    case 'archive': await m.chatSettings.setArchived(id, true); say(`archived ${title}`); return;
    case 'unarchive': await m.chatSettings.setArchived(id, false); say(`unarchived ${title}`); return;
  }
}
