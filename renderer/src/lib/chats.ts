// Per-chat settings from the UI (mute, pin, archive, drafts): calls to the core, kept on this device.
import { call } from './api.ts';
import type { ConversationSummary } from './api.ts';

export const EIGHT_HOURS = 8 * 3600;

export type ChatAction = 'pin' | 'unpin' | 'mute-8h' | 'mute' | 'unmute' | 'archive' | 'unarchive';

/** The menu of one chat: [action, label] in the order shown. */
export function chatActions(c: ConversationSummary): [ChatAction, string][] {
  const list: [ChatAction, string][] = [];
  if (!c.archived) list.push(c.pinned ? ['unpin', 'Unpin chat'] : ['pin', 'Pin chat']);
  if (c.muted) list.push(['unmute', 'Unmute']);
  else list.push(['mute-8h', 'Mute for 8 hours'], ['mute', 'Mute until I unmute']);
  list.push(c.archived ? ['unarchive', 'Unarchive chat'] : ['archive', 'Archive chat']);
  return list;
}

export function applyChatAction(conversationId: string, action: ChatAction): Promise<ConversationSummary> {
  switch (action) {
    case 'pin': case 'unpin': return call('chats.setPinned', { conversationId, pinned: action === 'pin' });
    case 'mute-8h': return call('chats.setMuted', { conversationId, muted: true, forSeconds: EIGHT_HOURS });
    case 'mute': case 'unmute': return call('chats.setMuted', { conversationId, muted: action === 'mute' });
    case 'archive': case 'unarchive': return call('chats.setArchived', { conversationId, archived: action === 'archive' });
  }
}

/** Pinned chats first, then the newest. */
export function ordered(list: ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => Number(b.pinned ?? false) - Number(a.pinned ?? false) || b.lastMessageAt - a.lastMessageAt);
}

// ---- drafts: the composer's unsent text, saved a moment after typing stops (and when leaving the chat) ----

const pending = new Map<string, { text: string; timer: ReturnType<typeof setTimeout> }>();
/** What the core holds for each chat, as far as this window knows (the summary's draft until the first save). */
const stored = new Map<string, string>();
const SAVE_AFTER_MS = 400;

function flush(conversationId: string): Promise<void> {
  const p = pending.get(conversationId);
  if (!p) return Promise.resolve();
  clearTimeout(p.timer);
  pending.delete(conversationId);
  const text = p.text.slice(0, 8000);
  // A draft that could not be kept is not worth an error over the chat: the text is still in the composer.
  return call('chats.setDraft', { conversationId, text }).then(() => { stored.set(conversationId, text); }, () => {});
}

/** Remembers `text` as the chat's draft (debounced); '' clears it. `saved`: the draft the chat's summary carries. */
export function saveDraft(conversationId: string, text: string, saved: string): void {
  const p = pending.get(conversationId);
  if (p) clearTimeout(p.timer);
  else if (text === (stored.get(conversationId) ?? saved)) return;
  pending.set(conversationId, { text, timer: setTimeout(() => void flush(conversationId), SAVE_AFTER_MS) });
}

/** Saves a chat's draft now (the composer moved to another chat); resolves once kept. */
export function flushDraft(conversationId: string): Promise<void> {
  return flush(conversationId);
}
