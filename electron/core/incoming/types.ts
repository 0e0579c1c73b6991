// What receiving reports to the CLI and the app.
import type { AttachmentPointer, ReplyTo } from '../../../common/wire/content.ts';
import type { MessageFlag } from '../store/local-store.ts';

export interface ReceivedMessage {
  kind: 'message';
  messageId: string;
  conversationId: string;
  from: string;
  fromName: string;
  fromUserId: string;
  fromDevice: number;
  text: string;
  sentAt: number;
  receivedAt: number;
  /** True for the copy of a message this user sent from another of their devices. */
  outgoing: boolean;
  to?: string;
  /** A group message: the group's id (also its conversation id) and name. */
  group?: string;
  groupName?: string;
  /**
   * The client does not vouch for the sender (see incoming/sender-check.ts): 'unlisted-device' (the
   * directory does not list the device or its key) or 'held' (a verified contact's unverified device or
   * key; `text` is empty until the user verifies the new safety number).
   */
  flag?: MessageFlag;
  /** Files (empty when none); H2 adds where each was saved. */
  attachments: AttachmentPointer[];
  /** The id of the message this one replies to; `reply` has the quote. */
  replyTo?: string;
  reply?: ReplyTo;
  /** A content kind from a newer Parley: `text` is NEEDS_NEWER_VERSION (common/wire/content.ts). */
  needsNewerVersion?: true;
  /** Disappearing: the conversation's timer when it was sent. */
  expiresInSeconds?: number;
  /** Sent by the sender's device on its own: an away reply or a first-contact greeting (core/business/). */
  automatic?: 'away' | 'greeting';
}

/**
 * Everything else a conversation receives: reactions, edits, deletes for everyone, read receipts (one event
 * per message read), typing indicators (never stored) and timer changes. `outgoing`: done by this user on
 * another of their devices.
 */
export interface ReceivedEvent {
  kind: 'reaction' | 'edit' | 'delete' | 'read' | 'typing' | 'timer';
  conversationId: string;
  from: string;
  fromName: string;
  fromUserId: string;
  fromDevice: number;
  outgoing: boolean;
  sentAt: number;
  receivedAt: number;
  group?: string;
  groupName?: string;
  /** reaction, edit, delete, read: the message concerned. */
  targetMessageId?: string;
  /** reaction: the emoji (the removed one when `remove`). */
  emoji?: string;
  remove?: boolean;
  /** edit: the new text. */
  text?: string;
  /** typing */
  state?: 'started' | 'stopped';
  /** timer: seconds, or null for off. */
  seconds?: number | null;
}

export interface RejectedEnvelope {
  envelopeId: string;
  fromUserId: string;
  fromDevice: number;
  reason: string;
}

export interface Delivered {
  conversationId: string;
  messageIds: string[];
}

export interface EnvelopeOutcome {
  message?: ReceivedMessage;
  rejected?: RejectedEnvelope;
  duplicate?: boolean;
  /** A delivery receipt from the peer: our messages that reached their device. */
  delivered?: Delivered;
  /** Our other device verified this contact's safety number, and this device applied it. */
  verified?: string;
  /** Reactions, edits, deletes, read receipts, typing, timers (see ReceivedEvent). */
  events?: ReceivedEvent[];
}

export interface ReceiveOptions {
  onMessage?: (m: ReceivedMessage) => void;
  onRejected?: (r: RejectedEnvelope) => void;
  onDelivered?: (d: Delivered) => void;
  /** Reactions, edits, deletes, read receipts, typing, timer changes. */
  onEvent?: (e: ReceivedEvent) => void;
  /** The delivery socket opened (true) or was lost and is being reconnected (false). */
  onConnectionChange?: (connected: boolean) => void;
  /** Group events became system messages (after the first drain, and when a message names a group not synced yet). */
  onGroupsSynced?: (added: number) => void;
  /** Send delivery receipts for received messages (default true). */
  receipts?: boolean;
  stopAfterDrainMs?: number;
  signal?: AbortSignal;
}
