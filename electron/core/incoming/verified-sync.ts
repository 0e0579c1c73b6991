// A verification made on another of this user's devices (payload kind 'verified', see payload.ts). Applied
// only when it comes from one of the user's own devices that the directory lists (not flagged by
// sender-check.ts) and every verified key is the key this device itself has for that contact device (its
// session's key, else the directory's): a device never trusts a key because another device says so.
import type { VerifiedPayload } from '../payload.ts';
import type { Contacts } from '../directory/contacts.ts';
import type { SenderCheck, SenderChecks } from './sender-check.ts';
import { b64, type CoreContext } from '../context.ts';

export class VerifiedSync {
  constructor(private readonly ctx: CoreContext, private readonly contacts: Contacts, private readonly checks: SenderChecks) {}

  /** Inside the envelope's transaction. Returns why it was refused, or undefined once applied. */
  async apply(p: VerifiedPayload, fromSelf: boolean, check: SenderCheck): Promise<string | undefined> {
    if (!fromSelf || check.flag) return 'a verification that did not come from one of your own devices';
    const { store } = this.ctx;
    const contact = await this.contacts.forUser(p.userId);
    const ids = Object.keys(p.keys).map(Number);
    if (ids.some((id) => this.keyHere(p.userId, id) === undefined)) await this.contacts.refreshDevices(p.userId);
    for (const id of ids) {
      if (this.keyHere(p.userId, id) !== p.keys[String(id)]) {
        return `your other device verified a key for ${contact.email}'s device ${id} that this device does not have; compare the safety number on this device`;
      }
    }
    store.setVerifiedIdentity(p.userId, { safetyNumber: p.safetyNumber, keys: p.keys, at: this.ctx.now() });
    this.checks.release(p.userId, p.keys);
    this.ctx.warn(`the safety number with ${contact.name} <${contact.email}> was marked verified on your other device`);
    return undefined;
  }

  private keyHere(userId: string, deviceId: number): string | undefined {
    const inSession = this.ctx.store.getPeerIdentity(userId, deviceId);
    return inSession ? b64(inSession) : this.contacts.listedKey(userId, deviceId);
  }
}
