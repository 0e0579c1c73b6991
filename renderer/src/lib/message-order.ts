// How the chat view orders and merges its messages: placeholders of messages being sent (ids `local-…`) stay
// at the bottom, and the stored message that replaces one is recognised by its text.
import type { MessageView } from './api.ts';

export type Status = MessageView['status'];

/** Higher wins when two sources disagree about an outgoing message (events may overtake replies). */
export const RANK: Record<Status, number> = { sending: 0, queued: 0, failed: 1, sent: 2, delivered: 3, read: 4, received: 0, system: 0 };

export function bySeq(a: MessageView, b: MessageView): number {
  const ap = a.id.startsWith('local-') ? 1 : 0;
  const bp = b.id.startsWith('local-') ? 1 : 0;
  return ap - bp || a.seq - b.seq || a.sentAt - b.sentAt;
}

/** `current` without the placeholder of each of our messages in `arrived` that it does not hold yet (same text). */
export function withoutSentPlaceholders(current: MessageView[], arrived: MessageView[]): MessageView[] {
  for (const m of arrived) {
    if (m.direction !== 'out' || current.some((x) => x.id === m.id)) continue;
    const local = current.find((x) => x.id.startsWith('local-') && x.text === m.text);
    if (local) current = current.filter((x) => x !== local);
  }
  return current;
}
