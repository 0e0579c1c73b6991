// People and their devices: the company directory on the server, remembered locally as contacts and
// per-user device lists (which devices a message must be encrypted for).
import type * as W from '../../../common/wire/schemas.ts';
import { ApiError } from '../net/api.ts';
import type { Contact } from '../store/local-store.ts';
import { UsageError, type CoreContext } from '../context.ts';

export class Contacts {
  constructor(private readonly ctx: CoreContext) {}

  /** Resolves an email through the company directory and remembers the person as a contact. */
  async resolve(email: string): Promise<{ contact: Contact; entry: W.DirectoryEntry }> {
    const { store, api } = this.ctx;
    let entry: W.DirectoryEntry;
    try {
      entry = await api.lookup(email);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) throw new UsageError(`no one with the email ${email} is in the directory`);
      if (err instanceof ApiError && err.status === 400) throw new UsageError(`not a valid email address: ${email}`);
      throw err;
    }
    await store.exclusive(async () => {
      store.upsertContact({ userId: entry.userId, email: entry.email, name: entry.name }, this.ctx.now());
      this.recordListing(entry);
    });
    return { contact: store.getContact(entry.userId)!, entry };
  }

  /** Remembers a directory listing: the devices to encrypt for and each one's identity key. In a transaction. */
  private recordListing(entry: W.DirectoryEntry): void {
    this.setDevices(entry.userId, entry.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })));
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

  /** Records a device list; call inside a store transaction. */
  setDevices(userId: string, devices: W.DeviceRef[]): void {
    this.ctx.store.setJson(`devices:${userId}`, devices);
  }

  async refreshDevices(userId: string): Promise<void> {
    const entry = await this.ctx.api.user(userId);
    await this.ctx.store.exclusive(async () => {
      this.recordListing(entry);
    });
  }
}
