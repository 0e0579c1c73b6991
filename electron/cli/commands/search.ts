// `parley search QUERY [--limit N] [--json]`: full-text search over the messages on this device (no server
// needed). The query is taken literally (electron/core/search/query.ts). Message text, names and titles are
// others' words: printed cleaned (terminal.ts). --json: one line per hit, newest first:
// {messageId, conversationId, from, text, sentAt} (+ fromName, conversation), sentAt as in `receive --json`.
import type { Messenger, SearchHit } from '../../core/messenger.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayErr, sayJson } from './terminal.ts';

/** --limit: a whole number from 1 to 500. */
export function limitOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9][0-9]{0,2}$/.test(value) || Number(value) > 500) throw new ExitError(2, `--limit takes a number from 1 to 500, got "${value}"`);
  return Number(value);
}

function sender(m: Messenger, h: SearchHit): { email: string; name: string } {
  if (h.direction === 'out') return { email: m.me.email, name: m.me.name };
  const c = m.contact(h.senderUserId);
  return { email: c?.email ?? h.senderUserId, name: c?.name ?? h.senderUserId };
}

export async function searchCommand(m: Messenger, { args, values }: Parsed): Promise<void> {
  const hits = m.searchMessages(args[0]!, { limit: limitOf(values.limit, 20) });
  for (const h of hits) {
    const from = sender(m, h);
    const conversation = m.conversation(h.conversationId)?.title ?? h.conversationId;
    if (values.json) {
      sayJson({ messageId: h.messageId, conversationId: h.conversationId, from: from.email, text: h.text, sentAt: new Date(h.sentAt).toISOString(),
        fromName: from.name, conversation });
    } else {
      const when = new Date(h.sentAt).toISOString().replace('T', ' ').slice(0, 19);
      say(`[${when}] ${conversation} · ${h.direction === 'out' ? 'you' : `${from.name} <${from.email}>`}: ${h.text}`);
    }
  }
  if (hits.length === 0) sayErr('no messages found');
}
