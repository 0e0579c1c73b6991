// Who really sent a message? The server stamps an envelope with a sender user and device; the Signal
// session only proves which identity KEY encrypted it. A hostile server can stamp any user on a message
// built with its own key (a PreKey message starts a session with anyone). So, as Signal does, a message is
// flagged when its device or key is not the one the directory lists for that user, and held (its text not
// shown) when the sender is a verified contact and the device or key is not one the user verified.
import type { PeerAddress } from '../../../crypto/signal.ts';
import type { MessageFlag } from '../store/local-store.ts';
import type { Contacts } from '../directory/contacts.ts';
import { b64, type CoreContext } from '../context.ts';

export interface SenderCheck {
  flag?: MessageFlag;
  /** The identity key the message was decrypted under (base64). */
  senderKey?: string;
}

export class SenderChecks {
  constructor(private readonly ctx: CoreContext, private readonly contacts: Contacts) {}

  /**
   * Before decrypting (outside the store transaction): a device we have never seen listed may be a genuine
   * new device, so the listing is fetched once. Failing to fetch it is not fatal: the message is flagged.
   */
  async prepare(peer: PeerAddress): Promise<void> {
    if (this.contacts.listedKey(peer.userId, peer.deviceId) !== undefined) return;
    await this.contacts.refreshDevices(peer.userId).catch(() => undefined);
  }

  /** After decrypting (inside the transaction): the protocol state has just recorded the sender's key. */
  check(peer: PeerAddress): SenderCheck {
    const key = this.ctx.store.getPeerIdentity(peer.userId, peer.deviceId);
    const senderKey = key ? b64(key) : undefined;
    if (peer.userId !== this.ctx.account.userId) {
      const verified = this.ctx.store.getContact(peer.userId)?.verified;
      if (verified && verified.keys[String(peer.deviceId)] !== senderKey) return { flag: 'held', ...(senderKey ? { senderKey } : {}) };
    }
    const listed = this.contacts.listedKey(peer.userId, peer.deviceId);
    if (senderKey === undefined || listed !== senderKey) return { flag: 'unlisted-device', ...(senderKey ? { senderKey } : {}) };
    return {};
  }

  /** After the user verified `userId`'s keys: held messages under exactly a verified key are shown. */
  release(userId: string, verifiedKeys: Record<string, string>): number {
    let n = 0;
    for (const h of this.ctx.store.heldMessages(userId)) {
      if (h.senderKey !== null && verifiedKeys[String(h.deviceId)] === h.senderKey) {
        this.ctx.store.setFlag(h.id, this.contacts.listedKey(userId, h.deviceId) === h.senderKey ? null : 'unlisted-device');
        n++;
      }
    }
    return n;
  }
}
