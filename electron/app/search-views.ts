// How search hits and per-chat settings look to the UI (common/app-api/contract.ts SearchHitView and the
// chat fields of ConversationSummary).
import type { ConversationSummary, SearchHitView } from '../../common/app-api/contract.ts';
import { MUTED_FOREVER, type Messenger, type SearchHit } from '../core/messenger.ts';

/** A hit's text in the results list: whole when short, else this many characters around the first match. */
export const EXCERPT_CHARS = 240;
const BEFORE_MATCH = 60;

/** Cuts a long text around its first matched word, keeping the match ranges that stay inside. */
export function excerpt(text: string, matches: [number, number][]): { text: string; matches: [number, number][] } {
  if (text.length <= EXCERPT_CHARS) return { text, matches };
  const first = matches[0]?.[0] ?? 0;
  let start = Math.max(0, Math.min(first - BEFORE_MATCH, text.length - EXCERPT_CHARS));
  // Never split a surrogate pair.
  if (start > 0 && /[\uDC00-\uDFFF]/.test(text[start]!)) start--;
  let end = Math.min(text.length, start + EXCERPT_CHARS);
  if (end < text.length && /[\uDC00-\uDFFF]/.test(text[end]!)) end++;
  const lead = start > 0 ? '…' : '';
  const cut = `${lead}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
  const shift = lead.length - start;
  return { text: cut, matches: matches.filter(([s, e]) => s >= start && e <= end).map(([s, e]) => [s + shift, e + shift]) };
}

export function searchHitView(m: Messenger, h: SearchHit): SearchHitView {
  const senderName = h.direction === 'out' ? 'You' : (m.contact(h.senderUserId)?.name ?? h.senderUserId);
  const cut = excerpt(h.text, h.matches);
  return {
    messageId: h.messageId, conversationId: h.conversationId, conversationTitle: m.conversation(h.conversationId)?.title ?? '',
    senderName, direction: h.direction, text: cut.text, matches: cut.matches, sentAt: h.sentAt, seq: h.seq,
  };
}

/** The chat's settings as ConversationSummary fields. */
export function chatFields(m: Messenger, conversationId: string): Pick<ConversationSummary, 'muted' | 'mutedUntil' | 'pinned' | 'archived' | 'draft'> {
  const s = m.chatSettings.get(conversationId);
  return {
    muted: s.mutedUntil !== undefined,
    mutedUntil: s.mutedUntil === undefined || s.mutedUntil === MUTED_FOREVER ? null : s.mutedUntil,
    pinned: s.pinnedAt !== undefined, archived: s.archivedAt !== undefined, draft: s.draft ?? '',
  };
}
