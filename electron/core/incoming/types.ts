// What receiving reports to the CLI and the app.
import type { MessageFlag } from '../store/local-store.ts';

export interface ReceivedMessage {
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
}

export interface ReceiveOptions {
  onMessage?: (m: ReceivedMessage) => void;
  onRejected?: (r: RejectedEnvelope) => void;
  onDelivered?: (d: Delivered) => void;
  /** The delivery socket opened (true) or was lost and is being reconnected (false). */
  onConnectionChange?: (connected: boolean) => void;
  /** Group events became system messages (after the first drain, and when a message names a group not synced yet). */
  onGroupsSynced?: (added: number) => void;
  /** Send delivery receipts for received messages (default true). */
  receipts?: boolean;
  stopAfterDrainMs?: number;
  signal?: AbortSignal;
}
