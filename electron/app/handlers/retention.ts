// Handlers for the chat setting "Disappearing messages": read a chat's timer (with the org's maximum) and set
// it. Setting sends the timer end-to-end encrypted to the others and to my other devices, then shows the
// chat's new system line ("You set disappearing messages to 1 day") like any message.
import { messageView } from '../views.ts';
import type { AppHost, Handlers } from '../host.ts';

type RetentionMethods = 'conversations.disappearing' | 'conversations.setDisappearing';

export function retentionHandlers(host: AppHost): Pick<Handlers, RetentionMethods> {
  return {
    'conversations.disappearing': async ({ conversationId }) => {
      const m = host.requireReady();
      const s = await m.disappearing(conversationId);
      return { conversationId: s.conversationId, seconds: s.seconds, maxSeconds: s.maxSeconds };
    },

    'conversations.setDisappearing': async ({ conversationId, seconds }) => {
      const m = host.requireReady();
      const s = await host.guard(() => m.setDisappearing(conversationId, seconds));
      if (s.changed) {
        const line = m.lastMessage(s.conversationId);
        if (line?.direction === 'system') host.emit({ type: 'message', message: messageView(m, line) });
        host.emit({ type: 'conversations' });
      }
      return { conversationId: s.conversationId, seconds: s.seconds, maxSeconds: s.maxSeconds };
    },
  };
}
