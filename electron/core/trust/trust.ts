// Trust in other people's identity keys: safety numbers, marking a contact verified, and what happens
// when a device we knew presents a new key (a warning and a system message in the chat).
import { safetyNumber, type PeerAddress } from '../../../crypto/signal.ts';
import { directConversationId } from '../payload.ts';
import type { Contact, VerifiedIdentity } from '../store/local-store.ts';
import type { Contacts } from '../directory/contacts.ts';
import type { SenderChecks } from '../incoming/sender-check.ts';
import { b64, newMessageId, unb64, UsageError, type CoreContext } from '../context.ts';

export type VerificationStatus = 'unverified' | 'verified' | 'changed';

export class SafetyNumberChangedError extends Error {
  override name = 'SafetyNumberChangedError';
  constructor(readonly email: string) {
    super(`the safety number with ${email} changed since you verified it; compare it again (parley safety-number ${email}) and mark it verified before sending`);
  }
}

export interface SafetyNumberView {
  contact: Contact;
  safetyNumber: string;
  status: VerificationStatus;
  /** The identity key of each of the contact's devices (base64), by device id. */
  keys: Record<string, string>;
}

export class Trust {
  constructor(private readonly ctx: CoreContext, private readonly contacts: Contacts, private readonly checks: SenderChecks) {}

  /** Called by the protocol state (inside a store transaction) when a known device's identity key changed. */
  identityChanged(peer: PeerAddress): void {
    const contact = this.ctx.store.getContact(peer.userId);
    const who = contact ? `${contact.name} <${contact.email}>` : peer.userId;
    this.ctx.warn(`warning: the safety number with ${who} changed (device ${peer.deviceId} has a new identity key)`);
    if (peer.userId !== this.ctx.account.userId) {
      this.addSystemMessage(peer.userId, `Your safety number with ${contact?.name ?? peer.userId} changed.`);
    }
  }

  private addSystemMessage(peerUserId: string, text: string): void {
    const { store, account } = this.ctx;
    const conversationId = directConversationId(account.userId, peerUserId);
    const contact = store.getContact(peerUserId);
    store.ensureConversation({ id: conversationId, kind: 'direct', peerUserId, title: contact?.name ?? peerUserId }, this.ctx.now());
    store.addMessage({
      id: newMessageId(), conversationId, senderUserId: peerUserId, senderDeviceId: 0, direction: 'system', body: text,
      sentAt: this.ctx.now(), receivedAt: this.ctx.now(), status: 'system',
    });
  }

  /**
   * 'changed' when a device the user verified now has another key, or a device the user did not verify is
   * listed now. Keys of devices that are gone and were never verified (retired before verification) do
   * not count: identity keys are never forgotten (see Sessions.applyMismatch).
   */
  verificationStatus(userId: string): VerificationStatus {
    const verified = this.ctx.store.getContact(userId)?.verified;
    if (!verified) return 'unverified';
    const listed = new Set(this.contacts.knownDevices(userId).map((d) => String(d.deviceId)));
    for (const id of listed) if (verified.keys[id] === undefined) return 'changed';
    for (const k of this.ctx.store.peerIdentityKeys(userId)) {
      const id = String(k.deviceId);
      if ((listed.has(id) || verified.keys[id] !== undefined) && verified.keys[id] !== b64(k.key)) return 'changed';
    }
    return 'verified';
  }

  /**
   * The safety number between this user and `email` over the identity keys of all devices of both.
   * Keys come from the directory and are cross-checked with the keys our sessions actually use.
   */
  async safetyNumber(email: string): Promise<SafetyNumberView> {
    const { store, api, account } = this.ctx;
    const { contact, entry } = await this.contacts.resolve(email);
    const mine = (await api.user(account.userId)).devices;
    const theirKeys: Record<string, string> = {};
    for (const d of entry.devices) {
      const key = d.identityKey;
      const inSession = store.getPeerIdentity(entry.userId, d.deviceId);
      if (inSession && b64(inSession) !== key) {
        throw new UsageError(`the server reports a different identity key for ${email}'s device ${d.deviceId} than our session uses; do not trust this conversation`);
      }
      theirKeys[String(d.deviceId)] = key;
    }
    const myKeys = mine.map((d) => d.identityKey);
    const myKey = store.getJson<{ publicKey: string }>('identity')!.publicKey;
    if (!myKeys.includes(myKey)) throw new UsageError('the server does not list this device\'s own identity key; do not trust it');
    if (Object.keys(theirKeys).length === 0) throw new UsageError(`${email} has no active device yet`);
    const number = await safetyNumber(account.userId, myKeys.map(unb64), entry.userId, Object.values(theirKeys).map(unb64));
    let status: VerificationStatus = 'unverified';
    if (contact.verified) status = contact.verified.safetyNumber === number && this.verificationStatus(entry.userId) === 'verified' ? 'verified' : 'changed';
    return { contact, safetyNumber: number, status, keys: theirKeys };
  }

  /** Marks the current safety number as compared out of band; from now on only these keys are trusted. */
  async markVerified(email: string): Promise<{ contact: Contact; safetyNumber: string; keys: Record<string, string> }> {
    const sn = await this.safetyNumber(email);
    const verified: VerifiedIdentity = { safetyNumber: sn.safetyNumber, keys: sn.keys, at: this.ctx.now() };
    await this.ctx.store.exclusive(async () => {
      this.ctx.store.setVerifiedIdentity(sn.contact.userId, verified);
      this.checks.release(sn.contact.userId, verified.keys);
    });
    return { contact: sn.contact, safetyNumber: sn.safetyNumber, keys: sn.keys };
  }
}
