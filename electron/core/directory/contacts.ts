// People and their devices: the company directory on the server, remembered locally as contacts and
// per-user device lists (which devices a message must be encrypted for).
import type * as W from '../../../common/wire/schemas.ts';
import { ApiError } from '../net/api.ts';
import type { Contact } from '../store/local-store.ts';
import { UsageError, type CoreContext } from '../context.ts';

/**
 * How long a directory answer is reused for sending without asking again. Sends stay correct in between:
 * the server refuses an envelope set that does not match the recipient's active devices (409/410, which
 * replaces the device list and drops the cached answer), and a verified contact's new key is refused by
 * the protocol state. What ages is only a name, an email moved to another person, or a device nobody sent
 * to yet (safety-number screens ask with `fresh`).
 */
export const DIRECTORY_REUSE_MS = 60_000;

export class Contacts {
  /** email (lower case) → the user it resolved to and when the directory said so; this process only. */
  private readonly confirmed = new Map<string, { userId: string; at: number }>();
  /** Set on the view forSending() returns. */
  private readonly reuseByDefault: boolean = false;

  constructor(private readonly ctx: CoreContext) {}

  /**
   * The same contacts (same store, same remembered answers) for the send path: its resolve() reuses a
   * recent directory answer unless told `fresh`. Everything else (safety numbers, starting a chat) asks.
   */
  forSending(): Contacts {
    return Object.create(this, { reuseByDefault: { value: true } }) as Contacts;
  }

  /**
   * Resolves an email through the company directory and remembers the person as a contact. With `reuse`
   * (the default of forSending()), an answer from the last DIRECTORY_REUSE_MS is reused — no request per
   * message sent — while the stored device list is not empty and was not replaced since, and the contact
   * is not verified (a verified contact's new device must stop the send before anything is encrypted).
   */
  async resolve(email: string, opts: { fresh?: boolean; reuse?: boolean } = {}): Promise<{ contact: Contact; entry: W.DirectoryEntry }> {
    const { store, api } = this.ctx;
    const reused = !opts.fresh && (opts.reuse ?? this.reuseByDefault) ? this.reusable(email) : undefined;
    if (reused) return reused;
    let entry: W.DirectoryEntry;
    try {
      entry = await api.lookup(email);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) throw new UsageError(`no one with the email ${email} is in the directory`);
      if (err instanceof ApiError && err.status === 400) throw new UsageError(`not a valid email address: ${email}`);
      throw err;
    }
    const asked = Date.now();
    await store.exclusive(async () => {
      store.upsertContact({ userId: entry.userId, email: entry.email, name: entry.name }, this.ctx.now());
      this.recordListing(entry);
    });
    this.confirmed.set(email.toLowerCase(), { userId: entry.userId, at: asked });
    return { contact: store.getContact(entry.userId)!, entry };
  }

  /** A recent directory answer for `email`, rebuilt from the store (the listing as recorded), if still usable. */
  private reusable(email: string): { contact: Contact; entry: W.DirectoryEntry } | undefined {
    const key = email.toLowerCase();
    const hit = this.confirmed.get(key);
    if (!hit) return undefined;
    const age = Date.now() - hit.at;
    const contact = age >= 0 && age < DIRECTORY_REUSE_MS ? this.ctx.store.getContact(hit.userId) : undefined;
    const devices = contact && this.devicesOf(hit.userId);
    const listed = contact && this.ctx.store.getJson<Record<string, string>>(`listed:${hit.userId}`);
    const complete = devices && devices.length > 0 && devices.every((d) => listed?.[String(d.deviceId)] !== undefined);
    if (!contact || !complete || contact.email.toLowerCase() !== key || contact.verified) {
      this.confirmed.delete(key);
      return undefined;
    }
    const entry: W.DirectoryEntry = {
      userId: contact.userId, email: contact.email, name: contact.name,
      devices: devices.map((d) => ({ ...d, identityKey: listed![String(d.deviceId)]! })),
    };
    return { contact, entry };
  }

  /** Forgets the reusable directory answers naming `userId` (its device list changed under us). */
  private unconfirm(userId: string): void {
    for (const [email, c] of this.confirmed) if (c.userId === userId) this.confirmed.delete(email);
  }

  /** Remembers a directory listing: the devices to encrypt for and each one's identity key. In a transaction. */
  private recordListing(entry: W.DirectoryEntry): void {
    this.setDevices(entry.userId, entry.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })), true);
    const keys = this.ctx.store.getJson<Record<string, string>>(`listed:${entry.userId}`) ?? {};
    // Devices seen listed once stay known (a message sent before a device was removed is still theirs);
    // a device id listed with a new key is recorded with that key.
    for (const d of entry.devices) keys[String(d.deviceId)] = d.identityKey;
    this.ctx.store.setJson(`listed:${entry.userId}`, keys);
  }

  /** The identity key (base64) the directory listed for this device, if it ever did. */
  listedKey(userId: string, deviceId: number): string | undefined {
    return this.ctx.store.getJson<Record<string, string>>(`listed:${userId}`)?.[String(deviceId)];
  }

  /** The contact for a user id, looked up in the directory the first time. */
  async forUser(userId: string): Promise<Contact> {
    const { store } = this.ctx;
    const known = store.getContact(userId);
    if (known) return known;
    const entry = await this.ctx.api.user(userId);
    await store.exclusive(async () => {
      store.upsertContact({ userId: entry.userId, email: entry.email, name: entry.name }, this.ctx.now());
      this.recordListing(entry);
    });
    return store.getContact(userId)!;
  }

  /** A contact already known locally (no network). */
  known(userId: string): Contact | undefined {
    return this.ctx.store.getContact(userId);
  }

  /** People in the directory whose name or email matches (for starting a chat). */
  async search(query: string): Promise<W.DirectoryEntry[]> {
    return (await this.ctx.api.search(query)).results;
  }

  /** The devices of `userId` as last learned (undefined: never fetched). */
  devicesOf(userId: string): W.DeviceRef[] | undefined {
    return this.ctx.store.getJson<W.DeviceRef[]>(`devices:${userId}`);
  }

  knownDevices(userId: string): W.DeviceRef[] {
    return this.devicesOf(userId) ?? [];
  }

  /**
   * Records a device list; call inside a store transaction. A list from elsewhere than the directory (a
   * 409/410 answer to a send) carries no identity keys: the next resolve asks the directory again.
   */
  setDevices(userId: string, devices: W.DeviceRef[], fromDirectory = false): void {
    this.ctx.store.setJson(`devices:${userId}`, devices);
    if (!fromDirectory) this.unconfirm(userId);
  }

  async refreshDevices(userId: string): Promise<void> {
    const entry = await this.ctx.api.user(userId);
    await this.ctx.store.exclusive(async () => {
      this.recordListing(entry);
    });
  }
}
