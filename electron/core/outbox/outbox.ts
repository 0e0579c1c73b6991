// The offline outbox: a 1:1 message written while the server cannot be reached is kept in the (encrypted)
// store with status 'queued' — "Waiting to send" — and sent, oldest first, when the connection returns
// (Sender.sendWaiting runs after every connection and on the app's beat). Messages that wait for a recipient's
// first device ('waiting') share the same path. The hook in outgoing/sender.ts is small: it asks here whether
// an error means "offline", and how to find a known contact without the directory.
import { NetworkError } from '../net/api.ts';
import { directConversationId } from '../payload.ts';
import type { Contact } from '../store/local-store.ts';
import type { CoreContext } from '../context.ts';

export const QUEUED = 'queued';

/** The server could not be reached (connection refused, timed out, DNS): worth keeping the message for later. */
export function isOffline(err: unknown): boolean {
  return err instanceof NetworkError;
}

/** A contact this device already knows by email: lets a message be written to them while offline. */
export function knownContact(ctx: CoreContext, email: string): Contact | undefined {
  return ctx.store.findContactByEmail(email);
}

export interface PendingMessage { messageId: string; conversationId: string; status: 'queued' | 'waiting' }

export class Outbox {
  constructor(private readonly ctx: CoreContext) {}

  /** Our 1:1 messages not sent yet: kept while offline ('queued') or waiting for a first device, oldest first. */
  pending(): PendingMessage[] {
    const me = this.ctx.account.userId;
    return this.ctx.store.waitingMessages().map((w) => ({
      messageId: w.id, conversationId: directConversationId(me, w.peerUserId), status: w.status === QUEUED ? 'queued' : 'waiting',
    }));
  }
}
