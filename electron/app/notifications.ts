// What a desktop notification for a new message shows. The organization decides how much (policy
// `rules.notificationContent`, remembered by the core: chats/chat-settings.ts): 'full' = sender and text,
// 'sender' = sender and "New message", 'none' = "Parley" and "New message" (nothing of who or what, e.g.
// for screens others can see). A muted chat shows no notification at all.
import type { Messenger, NotificationContent, ReceivedMessage } from '../core/messenger.ts';

export const NEW_MESSAGE = 'New message';

export function notificationText(content: NotificationContent, msg: Pick<ReceivedMessage, 'fromName' | 'groupName' | 'text'>): { title: string; body: string } {
  if (content === 'none') return { title: 'Parley', body: NEW_MESSAGE };
  const title = msg.groupName ? `${msg.fromName} in ${msg.groupName}` : msg.fromName;
  // A held message's text is empty until verified; a message of only files has none either.
  return { title, body: content === 'full' && msg.text.length > 0 ? msg.text : NEW_MESSAGE };
}

/** The notification for a received message, or null when none is due (our own message, or a muted chat). */
export function notificationFor(m: Messenger, msg: ReceivedMessage): { title: string; body: string } | null {
  if (msg.outgoing || m.chatSettings.isMuted(msg.conversationId)) return null;
  return notificationText(m.chatSettings.notificationContent(), msg);
}
