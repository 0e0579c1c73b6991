// `parley react`, `edit`, `delete`, `read` and `history`: what a user does to messages already sent or
// received. A message id that is not on this device, or someone else's message to edit or delete for
// everyone, is bad input (exit 2). Texts and names are others' words: printed through terminal.ts.
import type { HistoryItem, Messenger } from '../../core/messenger.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayErr, sayJson } from './terminal.ts';

const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function limitOf(value: string | undefined): number {
  if (value === undefined) return 50;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 10_000) throw new ExitError(2, `--limit takes a whole number from 1 to 10000, got "${value}"`);
  return n;
}

function historyLine(h: HistoryItem): string {
  const who = h.outgoing ? 'you' : h.kind === 'system' ? '*' : `${h.fromName} <${h.from}>`;
  if (h.kind === 'system') return `[${stamp(h.sentAt)}] * ${h.text ?? ''}`;
  const body = h.deleted ? 'This message was deleted' : h.text ?? '';
  const reply = h.reply ? ` [reply to ${h.reply.messageId}: "${h.reply.excerpt}"]` : '';
  const files = h.attachments.map((a) => ` [file: ${a.fileName}, ${a.size} bytes]`).join('');
  const edited = h.edited ? ' (edited)' : '';
  const reactions = h.reactions.length > 0 ? ` ${h.reactions.map((r) => `${r.emoji} ${r.you ? 'you' : r.name}`).join(', ')}` : '';
  const state = h.outgoing ? ` · ${h.status === 'read' ? 'Read' : h.status === 'delivered' ? 'Delivered' : h.status}` : '';
  return `[${stamp(h.sentAt)}] ${who}:${reply} ${body}${files}${edited}${reactions}${state} (id ${h.messageId})`;
}

/** The JSON of one history line: `{"deleted": true}` and no text for a message deleted for everyone. */
function historyJson(h: HistoryItem) {
  const { reply: _quote, ...rest } = h;
  return {
    ...rest, sentAt: new Date(h.sentAt).toISOString(), receivedAt: new Date(h.receivedAt).toISOString(),
    ...(h.editedAt !== undefined ? { editedAt: new Date(h.editedAt).toISOString() } : {}),
    ...(h.readAt !== undefined ? { readAt: new Date(h.readAt).toISOString() } : {}),
    attachments: h.attachments.map((a) => ({ fileName: a.fileName, contentType: a.contentType, size: a.size, sha256: a.sha256 })),
    reactions: h.reactions.map((r) => ({ emoji: r.emoji, from: r.email, fromName: r.name, fromUserId: r.userId })),
  };
}

export async function messageActionCommand(m: Messenger, { command, args, values }: Parsed): Promise<void> {
  switch (command) {
    case 'react': {
      const [id, emoji] = args as [string, string];
      await m.react(id, emoji, { remove: values.remove === true });
      say(values.remove ? `removed your reaction ${emoji}` : `reacted ${emoji}`);
      return;
    }
    case 'edit': {
      const [id, text] = args as [string, string];
      await m.edit(id, text);
      say('edited');
      return;
    }
    case 'delete': {
      const [id] = args as [string];
      const forEveryone = values['for-everyone'] === true;
      await m.deleteMessage(id, { forEveryone });
      say(forEveryone ? 'deleted for everyone' : 'deleted on this device');
      return;
    }
    case 'read': {
      const conversationId = await m.conversationIdFor(args[0]!);
      if (!m.conversation(conversationId)) throw new ExitError(2, `no conversation with ${args[0]} on this device yet`);
      const r = await m.markRead(conversationId);
      say(r.read === 0 ? 'nothing unread' : `marked ${r.read} message${r.read === 1 ? '' : 's'} read${r.receipts ? ' (read receipts sent)' : ''}`);
      return;
    }
    case 'history': {
      const ref = values.group ?? args[0]!;
      const conversationId = await m.conversationIdFor(ref);
      if (!m.conversation(conversationId)) throw new ExitError(2, `no conversation with ${ref} on this device yet`);
      const items = m.history(conversationId, { limit: limitOf(values.limit) });
      if (values.json) for (const h of items) sayJson(historyJson(h));
      else if (items.length === 0) sayErr('no messages');
      else for (const h of items) say(historyLine(h));
      return;
    }
  }
}
