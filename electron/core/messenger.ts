// The client core: one signed-in device. Used alike by the CLI, the desktop app (through IPC handlers)
// and the browser shell. Plain Node; never imports 'electron'.
import { CLOSE_REPLACED, CLOSE_REVOKED, CLOSE_WIPED } from '../../common/close-codes.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  addressKey, createIdentity, createPreKeys, createSignedPreKey, ProtocolError, safetyNumber, SignalParty,
  type CiphertextType, type KeyPair, type LocalIdentity, type PeerAddress, type ProtocolState,
} from '../../crypto/signal.ts';
import type * as W from '../../common/wire/schemas.ts';
import type * as G from '../../common/wire/groups.ts';
import { devIdpAutoLogin } from './auth/dev-login.ts';
import { signInWithBrowser, signInWithDeviceCode, SignInError, type DeviceCodePrompt, type OpenBrowser, type SignInTarget } from './auth/oidc.ts';
import { ApiClient, ApiError, NetworkError, type DeliverySocket } from './net/api.ts';
import { decodePayload, directConversationId, encodePayload, MAX_TEXT_CHARS, PayloadError, type Payload, type TextPayload } from './payload.ts';
import { groupEventText, type GroupEventNames } from './groups/group-events.ts';
import { LocalStore, STORE_FILE, type Contact, type StoredMessage, type VerifiedIdentity } from './store/local-store.ts';
import { FileVault, type SecretVault } from './store/vault.ts';
import { writeFileDurably } from './store/durable-file.ts';
import { DeviceWipedError, LIFECYCLE_KEY, newLifecycleKey, readWiped, type LifecycleInfo } from './lifecycle/lifecycle.ts';

export const PROFILE_FILE = 'profile.json';
const PREKEY_BATCH = 100;
const PREKEY_LOW_WATER = 20;
const SEND_ATTEMPTS = 4;
/** Parallel requests when a group send needs device lists or key bundles of many members. */
const FETCH_PARALLEL = 8;

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < items.length) await fn(items[next++]!); };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Non-secret facts about a profile, readable before the store is unlocked (server, who, which device). */
export interface ProfileInfo extends LifecycleInfo {
  version: 1;
  email: string;
  vault: string;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The server says this device must be wiped (live push, close code, or a refused credential). */
export class WipeRequestedError extends Error {
  override name = 'WipeRequestedError';
  constructor(readonly revoked = false) { super(revoked ? 'this device was revoked' : 'this device must be wiped'); }
}

/** Maps the server's refusal of a wiped or revoked device to WipeRequestedError. */
export function asWipeRequest(err: unknown): unknown {
  if (err instanceof ApiError && err.status === 401 && (err.code === 'device_wiped' || err.code === 'device_revoked')) {
    return new WipeRequestedError(err.code === 'device_revoked');
  }
  return err;
}

export class SafetyNumberChangedError extends Error {
  override name = 'SafetyNumberChangedError';
  constructor(readonly email: string) {
    super(`the safety number with ${email} changed since you verified it; compare it again (parley safety-number ${email}) and mark it verified before sending`);
  }
}

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
}

export interface GroupMemberView {
  userId: string;
  email: string;
  name: string;
  role: G.GroupRole;
  viaScim: boolean;
  you: boolean;
}

/** A group as this user may see it, members resolved to names (confidential: plain members see the admins). */
export interface GroupView extends Omit<G.GroupInfo, 'members'> {
  members: GroupMemberView[];
}

export interface RejectedEnvelope {
  envelopeId: string;
  fromUserId: string;
  fromDevice: number;
  reason: string;
}

export interface EnvelopeOutcome {
  message?: ReceivedMessage;
  rejected?: RejectedEnvelope;
  duplicate?: boolean;
  /** A delivery receipt from the peer: our messages that reached their device. */
  delivered?: { conversationId: string; messageIds: string[] };
}

export interface MessengerOptions {
  vault?: SecretVault;
  now?: () => number;
  /** Warnings for the user (weak vault, safety-number changes); the CLI prints them on stderr. */
  warn?: (line: string) => void;
}

export type LoginMethod =
  | { kind: 'dev-user'; username: string }
  | { kind: 'browser'; openBrowser: OpenBrowser }
  | { kind: 'device-code'; onPrompt: (p: DeviceCodePrompt) => void };

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const newMessageId = () => randomBytes(16).toString('base64url');
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

export function defaultVault(profileDir: string): SecretVault {
  return new FileVault(join(profileDir, 'vault'));
}

export function readProfileInfo(profileDir: string): ProfileInfo | undefined {
  const p = join(profileDir, PROFILE_FILE);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as ProfileInfo;
}

/** Signs this machine in as a new device and creates the profile. Nothing is written unless it all works. */
export async function loginNewDevice(
  profileDir: string, serverUrl: string, method: LoginMethod, opts: MessengerOptions = {},
): Promise<Messenger> {
  const wiped = readWiped(profileDir);
  if (wiped) throw new DeviceWipedError(wiped);
  if (existsSync(join(profileDir, STORE_FILE)) || readProfileInfo(profileDir)) {
    throw new UsageError(`profile ${profileDir} is already signed in; use another --profile`);
  }
  const api = new ApiClient(serverUrl);
  const config = await api.config();
  const target: SignInTarget = { issuer: config.issuer, clientId: config.clientId, scopes: config.scopes };
  const { nonce } = await api.nonce();
  let idToken: string;
  if (method.kind === 'dev-user') {
    if (!config.devIdp) throw new UsageError('--user works only against the embedded dev IdP; this server uses a real identity provider');
    idToken = await signInWithBrowser(target, nonce, devIdpAutoLogin(method.username));
  } else if (method.kind === 'browser') {
    idToken = await signInWithBrowser(target, nonce, method.openBrowser);
  } else {
    idToken = await signInWithDeviceCode(target, nonce, method.onPrompt);
  }

  const identity = await createIdentity();
  const lifecycle = newLifecycleKey();
  const registration = await api.register({
    idToken, registrationId: identity.registrationId, name: deviceName(), lifecycleKey: b64(lifecycle.publicRaw),
  });
  api.setCredential(registration.credential);

  const now = opts.now ?? Date.now;
  const vault = opts.vault ?? defaultVault(profileDir);
  if (vault.warning) opts.warn?.(`warning: ${vault.warning}`);
  const store = await LocalStore.open(profileDir, vault);
  // Kept apart from the store key: it signs status checks before unlock and the receipt after a wipe.
  await vault.save(LIFECYCLE_KEY, lifecycle.privateDer);
  const signed = await createSignedPreKey(identity.keyPair, 1);
  const preKeys = await createPreKeys(1, PREKEY_BATCH);
  await store.exclusive(async () => {
    store.setJson('account', {
      server: api.baseUrl, userId: registration.userId, deviceId: registration.deviceId, email: registration.email,
      name: registration.name, orgAdmin: registration.orgAdmin, issuer: config.issuer, organization: config.organization,
    });
    store.setMeta('credential', registration.credential);
    store.setJson('identity', { publicKey: b64(identity.keyPair.publicKey), privateKey: b64(identity.keyPair.privateKey), registrationId: identity.registrationId });
    store.putSignedPreKey({ keyId: signed.keyId, publicKey: signed.keyPair.publicKey, privateKey: signed.keyPair.privateKey, signature: signed.signature }, now());
    store.putPreKeys(preKeys.map((k) => ({ keyId: k.keyId, publicKey: k.keyPair.publicKey, privateKey: k.keyPair.privateKey })));
    store.setMeta('nextPreKeyId', String(PREKEY_BATCH + 1));
  });
  await api.uploadKeys({
    identityKey: b64(identity.keyPair.publicKey),
    signedPreKey: { keyId: signed.keyId, publicKey: b64(signed.keyPair.publicKey), signature: b64(signed.signature) },
    preKeys: preKeys.map((k) => ({ keyId: k.keyId, publicKey: b64(k.keyPair.publicKey) })),
  });
  writeProfileInfo(profileDir, {
    version: 1, server: api.baseUrl, userId: registration.userId, deviceId: registration.deviceId, email: registration.email, vault: vault.kind,
    organization: config.organization, leasePublicKey: registration.leasePublicKey, offlineLockHours: registration.offlineLockHours,
    offlineWipeDays: registration.offlineWipeDays, registeredAt: now(), maxSeenTime: now(),
  });
  return new Messenger(store, api, opts);
}

function writeProfileInfo(profileDir: string, info: ProfileInfo): void {
  writeFileDurably(join(profileDir, PROFILE_FILE), `${JSON.stringify(info, null, 2)}\n`);
}

function deviceName(): string {
  return `${hostname() || 'desktop'}`.slice(0, 64);
}

interface Account {
  server: string;
  userId: string;
  deviceId: number;
  email: string;
  name: string;
  orgAdmin: boolean;
  issuer: string;
  organization: string;
}

/** ProtocolState on the SQLCipher store, with Parley's trust rules for identity keys. */
class StoreProtocolState implements ProtocolState {
  constructor(private readonly store: LocalStore, private readonly onIdentityChange: (peer: PeerAddress) => void, private readonly now: () => number) {}
  async getLocalIdentity(): Promise<LocalIdentity | undefined> {
    const id = this.store.getJson<{ publicKey: string; privateKey: string; registrationId: number }>('identity');
    return id && { keyPair: { publicKey: unb64(id.publicKey), privateKey: unb64(id.privateKey) }, registrationId: id.registrationId };
  }
  async getPreKey(keyId: number): Promise<KeyPair | undefined> { return this.store.getPreKey(keyId); }
  async removePreKey(keyId: number) { this.store.removePreKey(keyId); }
  async getSignedPreKey(keyId: number): Promise<KeyPair | undefined> { return this.store.getSignedPreKey(keyId); }
  async getSession(a: string) { return this.store.getSession(a); }
  async putSession(a: string, r: string) { this.store.putSession(a, r); }
  async removeSession(a: string) { this.store.removeSession(a); }

  /** Once a contact is verified, only the exact keys that were verified are trusted for sending. */
  async isTrustedIdentity(peer: PeerAddress, key: Uint8Array, sending: boolean): Promise<boolean> {
    if (!sending) return true; // a received message is kept and the change surfaced, never dropped
    const verified = this.store.getContact(peer.userId)?.verified;
    if (!verified) return true;
    const expected = verified.keys[String(peer.deviceId)];
    return expected !== undefined && sameBytes(unb64(expected), key);
  }

  async saveIdentity(peer: PeerAddress, key: Uint8Array): Promise<boolean> {
    const known = this.store.getPeerIdentity(peer.userId, peer.deviceId);
    if (known && sameBytes(known, key)) return false;
    this.store.putPeerIdentity(peer.userId, peer.deviceId, key, this.now());
    if (known) this.onIdentityChange(peer);
    return known !== undefined;
  }
}

export type VerificationStatus = 'unverified' | 'verified' | 'changed';

export class Messenger {
  private readonly party: SignalParty;
  private readonly now: () => number;
  private readonly warn: (line: string) => void;
  private readonly account: Account;

  constructor(readonly store: LocalStore, readonly api: ApiClient, opts: MessengerOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.warn = opts.warn ?? (() => {});
    const account = store.getJson<Account>('account');
    const credential = store.getMeta('credential');
    if (!account || !credential) throw new UsageError('this profile has no account; run parley login');
    this.account = account;
    api.setCredential(credential);
    this.party = new SignalParty(new StoreProtocolState(store, (peer) => this.identityChanged(peer), this.now));
  }

  /** Opens an existing profile. Fails without creating anything when there is none. */
  static async open(profileDir: string, opts: MessengerOptions = {}): Promise<Messenger> {
    const info = readProfileInfo(profileDir);
    if (!info || !existsSync(join(profileDir, STORE_FILE))) {
      throw new UsageError(`no Parley profile at ${profileDir}; sign in first with: parley --profile ${profileDir} login --server URL`);
    }
    const vault = opts.vault ?? defaultVault(profileDir);
    const store = await LocalStore.open(profileDir, vault);
    return new Messenger(store, new ApiClient(info.server), opts);
  }

  close(): void {
    this.store.close();
  }

  get me(): Readonly<Account> {
    return this.account;
  }

  // ---- directory and contacts ----

  /** Resolves an email through the company directory and remembers the person as a contact. */
  async resolveContact(email: string): Promise<{ contact: Contact; entry: W.DirectoryEntry }> {
    let entry: W.DirectoryEntry;
    try {
      entry = await this.api.lookup(email);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) throw new UsageError(`no one with the email ${email} is in the directory`);
      if (err instanceof ApiError && err.status === 400) throw new UsageError(`not a valid email address: ${email}`);
      throw err;
    }
    await this.store.exclusive(async () => {
      this.store.upsertContact({ userId: entry.userId, email: entry.email, name: entry.name }, this.now());
      this.store.setJson(`devices:${entry.userId}`, entry.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })));
    });
    return { contact: this.store.getContact(entry.userId)!, entry };
  }

  private async contactFor(userId: string): Promise<Contact> {
    const known = this.store.getContact(userId);
    if (known) return known;
    const entry = await this.api.user(userId);
    await this.store.exclusive(async () => {
      this.store.upsertContact({ userId: entry.userId, email: entry.email, name: entry.name }, this.now());
    });
    return this.store.getContact(userId)!;
  }

  private knownDevices(userId: string): W.DeviceRef[] {
    return this.store.getJson<W.DeviceRef[]>(`devices:${userId}`) ?? [];
  }

  private identityChanged(peer: PeerAddress): void {
    const contact = this.store.getContact(peer.userId);
    const who = contact ? `${contact.name} <${contact.email}>` : peer.userId;
    this.warn(`warning: the safety number with ${who} changed (device ${peer.deviceId} has a new identity key)`);
    if (peer.userId !== this.account.userId) {
      this.addSystemMessage(peer.userId, `Your safety number with ${contact?.name ?? peer.userId} changed.`);
    }
  }

  private addSystemMessage(peerUserId: string, text: string): void {
    const conversationId = directConversationId(this.account.userId, peerUserId);
    const contact = this.store.getContact(peerUserId);
    this.store.ensureConversation({ id: conversationId, kind: 'direct', peerUserId, title: contact?.name ?? peerUserId }, this.now());
    this.store.addMessage({
      id: newMessageId(), conversationId, senderUserId: peerUserId, senderDeviceId: 0, direction: 'system', body: text,
      sentAt: this.now(), receivedAt: this.now(), status: 'system',
    });
  }

  verificationStatus(userId: string): VerificationStatus {
    const verified = this.store.getContact(userId)?.verified;
    if (!verified) return 'unverified';
    const known = this.store.peerIdentityKeys(userId);
    const allVerified = known.every((k) => verified.keys[String(k.deviceId)] === b64(k.key));
    return allVerified ? 'verified' : 'changed';
  }

  /**
   * The safety number between this user and `email` over the identity keys of all devices of both.
   * Keys come from the directory and are cross-checked with the keys our sessions actually use.
   */
  async safetyNumber(email: string): Promise<{ contact: Contact; safetyNumber: string; status: VerificationStatus; keys: Record<string, string> }> {
    const { contact, entry } = await this.resolveContact(email);
    const mine = (await this.api.user(this.account.userId)).devices;
    const theirKeys: Record<string, string> = {};
    for (const d of entry.devices) {
      const key = d.identityKey;
      const inSession = this.store.getPeerIdentity(entry.userId, d.deviceId);
      if (inSession && b64(inSession) !== key) {
        throw new UsageError(`the server reports a different identity key for ${email}'s device ${d.deviceId} than our session uses; do not trust this conversation`);
      }
      theirKeys[String(d.deviceId)] = key;
    }
    const myKeys = mine.map((d) => d.identityKey);
    const myKey = this.store.getJson<{ publicKey: string }>('identity')!.publicKey;
    if (!myKeys.includes(myKey)) throw new UsageError('the server does not list this device\'s own identity key; do not trust it');
    if (Object.keys(theirKeys).length === 0) throw new UsageError(`${email} has no active device yet`);
    const number = await safetyNumber(this.account.userId, myKeys.map(unb64), entry.userId, Object.values(theirKeys).map(unb64));
    let status: VerificationStatus = 'unverified';
    if (contact.verified) status = contact.verified.safetyNumber === number && this.verificationStatus(entry.userId) === 'verified' ? 'verified' : 'changed';
    return { contact, safetyNumber: number, status, keys: theirKeys };
  }

  /** Marks the current safety number as compared out of band; from now on only these keys are trusted. */
  async markVerified(email: string): Promise<{ contact: Contact; safetyNumber: string }> {
    const sn = await this.safetyNumber(email);
    const verified: VerifiedIdentity = { safetyNumber: sn.safetyNumber, keys: sn.keys, at: this.now() };
    await this.store.exclusive(async () => this.store.setVerifiedIdentity(sn.contact.userId, verified));
    return { contact: sn.contact, safetyNumber: sn.safetyNumber };
  }

  // ---- sending ----

  async sendText(email: string, text: string): Promise<{ messageId: string; conversationId: string; sentAt: number; devices: number }> {
    if (text.length === 0) throw new UsageError('the message is empty');
    if (text.length > MAX_TEXT_CHARS) throw new UsageError(`the message is longer than ${MAX_TEXT_CHARS} characters`);
    const { contact } = await this.resolveContact(email);
    if (this.verificationStatus(contact.userId) === 'changed') throw new SafetyNumberChangedError(contact.email);
    const conversationId = directConversationId(this.account.userId, contact.userId);
    const sentAt = this.now();
    const messageId = newMessageId();
    await this.store.exclusive(async () => {
      this.store.ensureConversation({ id: conversationId, kind: 'direct', peerUserId: contact.userId, title: contact.name }, sentAt);
      this.store.addMessage({
        id: messageId, conversationId, senderUserId: this.account.userId, senderDeviceId: this.account.deviceId,
        direction: 'out', body: text, sentAt, receivedAt: sentAt, status: 'sending',
      });
    });
    const forPeer: TextPayload = { v: 1, kind: 'text', messageId, sentAt, text };
    const forMyDevices: TextPayload = { ...forPeer, to: contact.userId };
    try {
      const devices = await this.deliver(contact.userId, contact.email, encodePayload(forPeer), encodePayload(forMyDevices));
      // A receipt may already have marked it delivered: only move forward from 'sending'.
      await this.store.exclusive(async () => this.store.advanceStatus(messageId, 'sending', 'sent'));
      return { messageId, conversationId, sentAt, devices };
    } catch (err) {
      await this.store.exclusive(async () => this.store.advanceStatus(messageId, 'sending', 'failed'));
      throw err;
    }
  }

  /**
   * Encrypts one payload for every device of `recipient` and every other device of this user, and sends
   * them in one request. The server answers 409/410 when our device lists are out of date; we then fix
   * the sessions (new devices: fetch a bundle; gone or re-registered devices: drop the session) and retry.
   */
  private async deliver(recipient: string, recipientEmail: string, peerPayload: Uint8Array, selfPayload: Uint8Array): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const targets = [
        ...this.knownDevices(recipient).map((d) => ({ userId: recipient, ...d })),
        ...this.knownDevices(this.account.userId).filter((d) => d.deviceId !== this.account.deviceId).map((d) => ({ userId: this.account.userId, ...d })),
      ];
      const envelopes = await this.store.exclusive(async () => {
        const out: W.OutgoingEnvelope[] = [];
        for (const t of targets) {
          const peer = { userId: t.userId, deviceId: t.deviceId };
          let ct;
          try {
            if (!(await this.party.hasSession(peer))) await this.startSession(peer);
            ct = await this.party.encrypt(peer, t.userId === recipient ? peerPayload : selfPayload);
          } catch (err) {
            // Only a verified contact's keys are ever untrusted (see StoreProtocolState.isTrustedIdentity).
            if (err instanceof ProtocolError && err.kind === 'untrusted-identity') throw new SafetyNumberChangedError(recipientEmail);
            throw err;
          }
          out.push({ userId: t.userId, deviceId: t.deviceId, registrationId: ct.registrationId || t.registrationId, type: ct.type, content: b64(ct.body) });
        }
        return out;
      });
      if (envelopes.length === 0) {
        // Nobody to deliver to yet: ask the server for the truth (it answers 409 with the device lists).
        await this.refreshDevices(recipient);
        if (this.knownDevices(recipient).length === 0) throw new UsageError(`${recipientEmail} has no active device yet`);
        continue;
      }
      try {
        await this.api.send({ recipient, envelopes });
        return envelopes.length;
      } catch (err) {
        if (!(err instanceof ApiError) || (err.status !== 409 && err.status !== 410) || attempt >= SEND_ATTEMPTS) throw err;
        await this.applyDeviceMismatch(err.body as W.DeviceMismatch);
      }
    }
  }

  private async refreshDevices(userId: string): Promise<void> {
    const entry = await this.api.user(userId);
    await this.store.exclusive(async () => {
      this.store.setJson(`devices:${userId}`, entry.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })));
    });
  }

  private async applyDeviceMismatch(body: W.DeviceMismatch): Promise<void> {
    await this.store.exclusive(async () => {
      for (const [userId, devices] of Object.entries(body.devices ?? {})) this.store.setJson(`devices:${userId}`, devices);
      for (const gone of [...(body.extra ?? []), ...(body.stale ?? [])]) {
        await this.party.deleteSession(gone);
      }
      for (const gone of body.extra ?? []) this.store.removePeerIdentity(gone.userId, gone.deviceId);
    });
  }

  private async startSession(peer: PeerAddress): Promise<void> {
    const bundles = await this.api.bundles(peer.userId, peer.deviceId);
    const b = bundles.devices.find((d) => d.deviceId === peer.deviceId);
    if (!b) throw new ApiError(404, 'unknown_device', `device ${peer.deviceId} of ${peer.userId} has no keys`, null);
    await this.startSessionFrom(peer, b);
  }

  private async startSessionFrom(peer: PeerAddress, b: W.DeviceBundle): Promise<void> {
    await this.party.startSession(peer, {
      registrationId: b.registrationId,
      identityKey: unb64(b.identityKey),
      signedPreKey: { keyId: b.signedPreKey.keyId, publicKey: unb64(b.signedPreKey.publicKey), signature: unb64(b.signedPreKey.signature) },
      preKey: b.preKey && { keyId: b.preKey.keyId, publicKey: unb64(b.preKey.publicKey) },
    });
  }

  // ---- receiving ----

  /**
   * Decrypts and stores one envelope, exactly once: the message and the "processed" mark commit together,
   * and only then is the envelope acked. A redelivered envelope is recognised by its server id; a replayed
   * ciphertext under a new id fails the ratchet and is reported as rejected.
   */
  async handleEnvelope(env: W.IncomingEnvelope): Promise<EnvelopeOutcome> {
    return this.store.exclusive(async () => {
      const server = this.account.server;
      if (this.store.isEnvelopeProcessed(server, env.id)) return { duplicate: true };
      const peer = { userId: env.sourceUser, deviceId: env.sourceDevice };
      const reject = (reason: string) => {
        this.store.markEnvelopeProcessed(server, env.id, this.now());
        return { rejected: { envelopeId: env.id, fromUserId: env.sourceUser, fromDevice: env.sourceDevice, reason } };
      };
      let payload: Payload;
      try {
        const plain = await this.party.decrypt(peer, env.type as CiphertextType, unb64(env.content));
        payload = decodePayload(plain);
      } catch (err) {
        if (err instanceof ProtocolError || err instanceof PayloadError) return reject(err.message);
        throw err;
      }
      const fromSelf = env.sourceUser === this.account.userId;
      if (payload.kind === 'receipt') {
        this.store.markEnvelopeProcessed(server, env.id, this.now());
        if (fromSelf) return { duplicate: true }; // our other device's receipts concern its own copy
        const conversationId = payload.group ?? directConversationId(this.account.userId, env.sourceUser);
        const messageIds = this.store.markDelivered(conversationId, payload.messageIds);
        return { delivered: { conversationId, messageIds } };
      }
      if (payload.group !== undefined || env.group !== undefined) {
        // Both or neither: the server stamps the group it checked membership for; the sender names it inside.
        if (payload.group !== env.group) return reject('a group message that the server did not relay for that group');
        return this.storeGroupMessage(env, payload as TextPayload & { group: string }, fromSelf);
      }
      if (fromSelf && !payload.to) return reject('a copy from our own device without a recipient');
      const peerUserId = fromSelf ? payload.to! : env.sourceUser;
      const sender = fromSelf ? undefined : await this.contactFor(env.sourceUser);
      const peerContact = fromSelf ? await this.contactFor(peerUserId) : sender!;
      // The conversation is derived locally, never taken from the sender: nobody can post into another chat.
      const conversationId = directConversationId(this.account.userId, peerUserId);
      const receivedAt = this.now();
      this.store.ensureConversation({ id: conversationId, kind: 'direct', peerUserId, title: peerContact.name }, receivedAt);
      return this.storeReceived(env, payload, conversationId, sender, receivedAt, fromSelf ? { to: peerContact.email } : {});
    });
  }

  /** Stores a decrypted text message and marks its envelope processed (one transaction with the caller). */
  private storeReceived(
    env: W.IncomingEnvelope, payload: TextPayload, conversationId: string, sender: Contact | undefined, receivedAt: number,
    extra: Pick<ReceivedMessage, 'to' | 'group' | 'groupName'>,
  ): EnvelopeOutcome {
    const fromSelf = sender === undefined;
    const stored: Omit<StoredMessage, 'seq'> = {
      id: payload.messageId, conversationId, senderUserId: env.sourceUser, senderDeviceId: env.sourceDevice,
      direction: fromSelf ? 'out' : 'in', body: payload.text, sentAt: payload.sentAt, receivedAt, status: fromSelf ? 'sent' : 'received',
    };
    const fresh = this.store.addMessage(stored);
    this.store.markEnvelopeProcessed(this.account.server, env.id, receivedAt);
    if (!fresh) return { duplicate: true };
    return {
      message: {
        messageId: payload.messageId, conversationId, text: payload.text, sentAt: payload.sentAt, receivedAt,
        from: sender?.email ?? this.account.email, fromName: sender?.name ?? this.account.name,
        fromUserId: env.sourceUser, fromDevice: env.sourceDevice, outgoing: fromSelf, ...extra,
      },
    };
  }

  /**
   * Connects to the delivery socket, processes the stored queue and then live envelopes, in order.
   * Resolves when `stopAfterDrainMs` has passed after the first drain of the queue (0: right after it;
   * Infinity: until `signal` aborts). A socket lost after the first drain (server restart, network) is
   * reconnected with backoff until then; nothing is lost, since envelopes are acked only once stored.
   */
  async receive(handlers: {
    onMessage?: (m: ReceivedMessage) => void;
    onRejected?: (r: RejectedEnvelope) => void;
    onDelivered?: (d: { conversationId: string; messageIds: string[] }) => void;
    onConnectionChange?: (connected: boolean) => void;
    /** Group events became system messages (after the first drain, and when a message names a group not synced yet). */
    onGroupsSynced?: (added: number) => void;
    /** Send delivery receipts for received messages (default true). */
    receipts?: boolean;
    stopAfterDrainMs?: number;
    signal?: AbortSignal;
  }): Promise<{ received: number; rejected: number }> {
    const counts = { received: 0, rejected: 0 };
    let deadline: number | undefined;
    let preKeyMessages = 0;
    let stopped = false;
    const stop = new Promise<void>((resolve) => {
      const end = () => { stopped = true; resolve(); };
      handlers.signal?.addEventListener('abort', end, { once: true });
      if (handlers.signal?.aborted) end();
      this.stopReceiving = end;
    });
    try {
      for (let attempt = 0; !stopped; attempt++) {
        const outcome = await this.receiveOnce(handlers, counts, stop, (drainedAt) => {
          deadline ??= drainedAt + (handlers.stopAfterDrainMs ?? 0);
          return deadline;
        }, () => { preKeyMessages++; });
        if (outcome.kind === 'finished') break;
        // Lost before the first drain: report it (a CLI run must not hang on a dead server).
        if (deadline === undefined) throw outcome.error;
        if (Date.now() >= deadline) break;
        handlers.onConnectionChange?.(false);
        const backoff = Math.min(250 * 2 ** Math.min(attempt, 5), 5000, Math.max(0, deadline - Date.now()));
        await Promise.race([stop, new Promise((r) => setTimeout(r, backoff))]);
        if (outcome.connected) attempt = 0;
      }
    } finally {
      this.stopReceiving = undefined;
      await this.groupSync;
      if (preKeyMessages > 0) await this.refillPreKeys().catch((err: Error) => this.warn(`could not refill prekeys: ${err.message}`));
    }
    return counts;
  }

  private groupSync: Promise<void> = Promise.resolve();

  /** Runs a group event sync behind any running one; failures are warnings (messages keep flowing). */
  private scheduleGroupSync(onSynced?: (added: number) => void, groupId?: string): void {
    this.groupSync = this.groupSync.then(async () => {
      try {
        const added = await this.syncGroupEvents(groupId);
        if (added > 0) onSynced?.(added);
      } catch (err) {
        const wipe = asWipeRequest(err);
        if (!(wipe instanceof WipeRequestedError)) this.warn(`could not sync groups: ${(err as Error).message}`);
      }
    });
  }

  private pendingReceipts = new Map<string, string[]>();
  private receiptFlush: Promise<void> = Promise.resolve();

  /** Receipts are batched per sender and conversation (a group's receipts name the group). */
  private queueReceipt(userId: string, messageId: string, group?: string): void {
    const key = group ? `${userId} ${group}` : userId;
    const list = this.pendingReceipts.get(key) ?? [];
    list.push(messageId);
    this.pendingReceipts.set(key, list);
  }

  /** Sends queued delivery receipts; a failure is reported, never fatal to receiving. */
  private flushReceipts(): Promise<void> {
    this.receiptFlush = this.receiptFlush.then(async () => {
      const batch = [...this.pendingReceipts];
      this.pendingReceipts.clear();
      for (const [key, ids] of batch) {
        const [userId, group] = key.split(' ') as [string, string | undefined];
        const contact = this.store.getContact(userId);
        if (!contact) continue;
        for (let i = 0; i < ids.length; i += 100) {
          const receipt: Payload = {
            v: 1, kind: 'receipt', receipt: 'delivered', messageIds: ids.slice(i, i + 100), sentAt: this.now(), ...(group ? { group } : {}),
          };
          const bytes = encodePayload(receipt);
          try {
            await this.deliver(userId, contact.email, bytes, bytes);
          } catch (err) {
            this.warn(`could not send a delivery receipt to ${contact.email}: ${(err as Error).message}`);
          }
        }
      }
    });
    return this.receiptFlush;
  }

  /** Stops a running receive() (the app calls it on sign-out or wipe). */
  stopReceiving?: () => void;

  private async receiveOnce(
    handlers: Parameters<Messenger['receive']>[0],
    counts: { received: number; rejected: number },
    stop: Promise<void>,
    onDrained: (at: number) => number,
    onPreKeyMessage: () => void,
  ): Promise<{ kind: 'finished' } | { kind: 'lost'; error: Error; connected: boolean }> {
    let chain: Promise<void> = Promise.resolve();
    let socket: DeliverySocket | undefined;
    let failure: Error | undefined;
    let wipe: WipeRequestedError | undefined;
    let settle!: (how: 'finished' | 'lost') => void;
    const settled = new Promise<'finished' | 'lost'>((resolve) => { settle = resolve; });

    let inFlight = 0;
    const handle = (env: W.IncomingEnvelope) => {
      inFlight++;
      chain = chain.then(async () => {
        if (env.type === 3) onPreKeyMessage();
        const out = await this.handleEnvelope(env);
        socket?.ack(env.id);
        if (out.message) {
          counts.received++;
          if (this.groupsToSync.size > 0) this.scheduleGroupSync(handlers.onGroupsSynced);
          if (!out.message.outgoing && handlers.receipts !== false) this.queueReceipt(out.message.fromUserId, out.message.messageId, out.message.group);
          handlers.onMessage?.(out.message);
        }
        if (out.rejected) { counts.rejected++; handlers.onRejected?.(out.rejected); }
        if (out.delivered && out.delivered.messageIds.length > 0) handlers.onDelivered?.(out.delivered);
      }).catch((err: Error) => { failure ??= err; settle('finished'); }).finally(() => {
        // Receipts go out once a burst is processed: one message per sender, not one per message.
        if (--inFlight === 0) void this.flushReceipts();
      });
    };

    try {
      socket = await this.api.connect({
        onFrame: (frame) => {
          if (frame.type === 'envelope') handle(frame.envelope);
          else if (frame.type === 'queue-empty') {
            void chain.then(() => {
              this.scheduleGroupSync(handlers.onGroupsSynced);
              const deadline = onDrained(Date.now());
              if (Number.isFinite(deadline)) setTimeout(() => settle('finished'), Math.max(0, deadline - Date.now())).unref();
            });
          } else if (frame.type === 'group-changed') {
            this.scheduleGroupSync(handlers.onGroupsSynced, frame.group);
          } else if (frame.type === 'wipe') {
            wipe = new WipeRequestedError();
            settle('finished');
          } else if (frame.type === 'error') this.warn(`server: ${frame.message}`);
        },
        onClose: (code, reason) => {
          if (code === CLOSE_WIPED || code === CLOSE_REVOKED) {
            wipe ??= new WipeRequestedError(code === CLOSE_REVOKED);
            settle('finished');
            return;
          }
          if (code === CLOSE_REPLACED) { // the server gave this device's queue to a newer connection: don't fight over it
            this.warn('another connection of this device took over delivery');
            settle('finished');
            return;
          }
          failure ??= new NetworkError(`delivery socket closed (${code}${reason ? `: ${reason}` : ''})`);
          settle('lost');
        },
        onError: (err) => this.warn(`delivery: ${err.message}`),
      });
    } catch (err) {
      if (err instanceof NetworkError) return { kind: 'lost', error: err, connected: false };
      throw asWipeRequest(err);
    }
    handlers.onConnectionChange?.(true);
    void stop.then(() => settle('finished'));
    const how = await settled;
    await chain;
    if (!wipe) await this.flushReceipts();
    await socket.close();
    if (wipe) throw wipe;
    // A failure while storing (disk, store) is not a network problem: never retry it silently.
    if (failure && !(failure instanceof NetworkError)) throw failure;
    return how === 'finished' ? { kind: 'finished' } : { kind: 'lost', error: failure ?? new NetworkError('delivery socket closed'), connected: true };
  }

  /** Tops the server's one-time prekeys back up when they run low (each new session consumes one). */
  async refillPreKeys(): Promise<number> {
    const { count } = await this.api.preKeyCount();
    if (count >= PREKEY_LOW_WATER) return count;
    // Read and advance the key id in one transaction: two processes on one profile (the app and a CLI)
    // must never make different keys under the same id, or the server's copy would not match ours.
    const keys = await this.store.exclusive(async () => {
      const first = Number(this.store.getMeta('nextPreKeyId') ?? '1');
      const made = await createPreKeys(first, PREKEY_BATCH - count);
      this.store.putPreKeys(made.map((k) => ({ keyId: k.keyId, publicKey: k.keyPair.publicKey, privateKey: k.keyPair.privateKey })));
      this.store.setMeta('nextPreKeyId', String(first + made.length));
      return made;
    });
    const res = await this.api.uploadKeys({ preKeys: keys.map((k) => ({ keyId: k.keyId, publicKey: b64(k.keyPair.publicKey) })) });
    return res.count;
  }


  /** Stores a group message (inside handleEnvelope's transaction). The conversation is the server-checked group. */
  private async storeGroupMessage(env: W.IncomingEnvelope, payload: TextPayload & { group: string }, fromSelf: boolean): Promise<EnvelopeOutcome> {
    const conversationId = payload.group;
    const receivedAt = this.now();
    const sender = fromSelf ? undefined : await this.contactFor(env.sourceUser);
    let conversation = this.store.getConversation(conversationId);
    if (!conversation) {
      // Added to a group we have not synced yet: its name and events ("… added you") come first, so the
      // chat reads in order. Offline or refused: a placeholder, fixed by the next sync.
      const name = (await this.api.group(conversationId).catch(() => undefined))?.name ?? 'New group';
      this.store.ensureConversation({ id: conversationId, kind: 'group', peerUserId: null, title: name }, receivedAt);
      await this.syncOneGroup(conversationId).catch(() => this.groupsToSync.add(conversationId));
      conversation = this.store.getConversation(conversationId)!;
    }
    return this.storeReceived(env, payload, conversationId, sender, receivedAt, { group: conversationId, groupName: conversation.title });
  }

  // ---- groups ----

  /** Groups a received message named that we have not synced yet (see storeGroupMessage). */
  private readonly groupsToSync = new Set<string>();

  private groupError(err: unknown): unknown {
    if (err instanceof ApiError && err.status === 404 && err.code === 'unknown_group') return new UsageError('no such group');
    if (err instanceof ApiError && err.status === 403 && err.code === 'not_a_member') return new UsageError('you are not a member of this group');
    return err;
  }

  /** This user's groups (org admins: the groups they are a member of; see admin views for the rest). */
  async listGroups(): Promise<G.GroupSummary[]> {
    const { groups } = await this.api.groups();
    await this.store.exclusive(async () => {
      for (const g of groups) this.ensureGroupConversation(g.id, g.name);
    });
    return groups;
  }

  /**
   * The id of a group given by id (`g_…`, taken as is: the server answers for it) or by its exact name
   * (case-insensitive) among this user's groups (one lookup).
   */
  async groupIdOf(ref: string): Promise<string> {
    const trimmed = ref.trim();
    if (trimmed.length === 0) throw new UsageError('no group given');
    if (/^g_[A-Za-z0-9_-]{22}$/.test(trimmed)) return trimmed;
    const groups = await this.listGroups();
    const named = groups.filter((g) => g.name.toLowerCase() === trimmed.toLowerCase());
    if (named.length === 1) return named[0]!.id;
    if (named.length === 0) throw new UsageError(`you are in no group named "${trimmed}" (see parley groups list)`);
    throw new UsageError(`${named.length} of your groups are named "${trimmed}"; use the id instead: ${named.map((g) => g.id).join(', ')}`);
  }

  private ensureGroupConversation(id: string, name: string): void {
    const existing = this.store.getConversation(id);
    if (!existing || existing.title !== name) {
      this.store.ensureConversation({ id, kind: 'group', peerUserId: null, title: name }, existing?.lastMessageAt ?? this.now());
    }
  }

  /** The group with its members (as far as this user may see them) resolved to names and emails. */
  async groupInfo(ref: string): Promise<GroupView> {
    return this.viewOf(await this.fetchGroup(ref));
  }

  private async fetchGroup(ref: string): Promise<G.GroupInfo> {
    const id = await this.groupIdOf(ref);
    try { return await this.api.group(id); } catch (err) { throw this.groupError(err); }
  }

  private async viewOf(info: G.GroupInfo): Promise<GroupView> {
    const members: GroupMemberView[] = [];
    const unknown = info.members.filter((m) => !this.store.getContact(m.userId)).map((m) => m.userId);
    await inParallel(unknown, FETCH_PARALLEL, async (userId) => { await this.contactFor(userId).catch(() => undefined); });
    for (const m of info.members) {
      const c = this.store.getContact(m.userId);
      members.push({ userId: m.userId, email: c?.email ?? '', name: c?.name ?? m.userId, role: m.role, viaScim: m.viaScim, you: m.userId === this.account.userId });
    }
    if (info.role !== null) await this.store.exclusive(async () => this.ensureGroupConversation(info.id, info.name));
    return { ...info, members };
  }

  /** A SCIM group by id or exact display name (org admins: the groups a Parley group can follow). */
  async resolveDirectoryGroup(ref: string): Promise<G.DirectoryGroup> {
    let groups: G.DirectoryGroup[];
    try {
      ({ groups } = await this.api.adminDirectoryGroups());
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) throw new UsageError('only organization admins can link a group to the company directory');
      throw err;
    }
    const byId = groups.find((g) => g.id === ref);
    if (byId) return byId;
    const named = groups.filter((g) => g.displayName.toLowerCase() === ref.trim().toLowerCase());
    if (named.length === 1) return named[0]!;
    if (named.length === 0) throw new UsageError(`no directory group named "${ref}" (the identity provider has not pushed it over SCIM)`);
    throw new UsageError(`${named.length} directory groups are named "${ref}"; use the id instead: ${named.map((g) => g.id).join(', ')}`);
  }

  async createGroup(
    name: string, emails: string[], opts: { announcement?: boolean; confidential?: boolean; directoryGroup?: string } = {},
  ): Promise<GroupView> {
    if (name.trim().length === 0) throw new UsageError('the group needs a name');
    const scimGroupId = opts.directoryGroup !== undefined ? (await this.resolveDirectoryGroup(opts.directoryGroup)).id : undefined;
    const members: string[] = [];
    for (const email of emails) {
      const { contact } = await this.resolveContact(email);
      if (contact.userId !== this.account.userId && !members.includes(contact.userId)) members.push(contact.userId);
    }
    const info = await this.api.createGroup({
      name: name.trim(), members,
      ...(opts.announcement ? { announcement: true } : {}), ...(opts.confidential ? { confidential: true } : {}),
      ...(scimGroupId !== undefined ? { scimGroupId } : {}),
    });
    const view = await this.viewOf(info);
    await this.syncGroupEvents(info.id);
    return view;
  }

  /** Runs one membership change; returns the group as it is now (undefined once we left it). */
  private async memberAction(
    ref: string, email: string, act: (groupId: string, userId: string) => Promise<unknown>, leaving = false,
  ): Promise<GroupView | undefined> {
    const groupId = await this.groupIdOf(ref);
    const { contact } = await this.resolveContact(email);
    try {
      await act(groupId, contact.userId);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'unknown_member') throw new UsageError(`${email} is not a member of ${ref}`);
      if (err instanceof ApiError && err.code === 'already_member') throw new UsageError(`${email} is already a member of ${ref}`);
      throw this.groupError(err);
    }
    await this.syncGroupEvents(groupId).catch(() => 0);
    if (leaving) return undefined;
    try { return await this.viewOf(await this.api.group(groupId)); } catch { return undefined; }
  }

  addGroupMember(ref: string, email: string) {
    return this.memberAction(ref, email, (g, u) => this.api.addGroupMember(g, u));
  }
  removeGroupMember(ref: string, email: string) {
    return this.memberAction(ref, email, (g, u) => this.api.removeGroupMember(g, u));
  }
  setGroupRole(ref: string, email: string, role: 'admin' | 'member') {
    return this.memberAction(ref, email, (g, u) => this.api.setGroupRole(g, { userId: u, role }));
  }
  async leaveGroup(ref: string): Promise<void> {
    await this.memberAction(ref, this.account.email, (g, u) => this.api.removeGroupMember(g, u), true);
  }

  async updateGroupSettings(ref: string, change: G.UpdateGroupRequest): Promise<GroupView> {
    const groupId = await this.groupIdOf(ref);
    let info: G.GroupInfo;
    try { info = await this.api.updateGroup(groupId, change); } catch (err) { throw this.groupError(err); }
    await this.syncGroupEvents(groupId).catch(() => 0);
    return this.viewOf(info);
  }

  /**
   * Sends one message to a group: one envelope per device of every member we may reach (all members; a plain
   * member of a confidential group reaches the admins) and our other devices, each over its pairwise
   * session. The member list comes from the server at send time, so a removed member gets nothing.
   */
  async sendGroupText(ref: string, text: string): Promise<{ messageId: string; conversationId: string; sentAt: number; devices: number; group: G.GroupSummary }> {
    if (text.length === 0) throw new UsageError('the message is empty');
    if (text.length > MAX_TEXT_CHARS) throw new UsageError(`the message is longer than ${MAX_TEXT_CHARS} characters`);
    const info = await this.fetchGroup(ref);
    if (info.role === null) throw new UsageError(`you are not a member of ${info.name}`);
    if (!info.canPost) throw new UsageError(`only admins can post in ${info.name} (announcement group)`);
    const sentAt = this.now();
    const messageId = newMessageId();
    await this.store.exclusive(async () => {
      this.ensureGroupConversation(info.id, info.name);
      this.store.addMessage({
        id: messageId, conversationId: info.id, senderUserId: this.account.userId, senderDeviceId: this.account.deviceId,
        direction: 'out', body: text, sentAt, receivedAt: sentAt, status: 'sending',
      });
    });
    const payload: TextPayload = { v: 1, kind: 'text', messageId, sentAt, text, group: info.id };
    try {
      const devices = await this.deliverToGroup(info.id, info.members.map((m) => m.userId), encodePayload(payload));
      await this.store.exclusive(async () => this.store.advanceStatus(messageId, 'sending', 'sent'));
      return { messageId, conversationId: info.id, sentAt, devices, group: info };
    } catch (err) {
      await this.store.exclusive(async () => this.store.advanceStatus(messageId, 'sending', 'failed'));
      throw this.groupError(err);
    }
  }

  /**
   * Encrypts `bytes` for every device of `recipients` and our other devices and posts them in one request.
   * Device lists and key bundles that are missing are fetched first, outside the store transaction and in
   * parallel; the server's 409/410 answer names the exact recipients and their devices, and we retry.
   */
  private async deliverToGroup(groupId: string, recipients: string[], bytes: Uint8Array): Promise<number> {
    let users = new Set([...recipients, this.account.userId]);
    for (let attempt = 1; ; attempt++) {
      const unknown = [...users].filter((u) => this.store.getJson(`devices:${u}`) === undefined);
      await inParallel(unknown, FETCH_PARALLEL, (u) => this.refreshDevices(u));
      const targets: PeerAddress[] = [];
      for (const u of users) {
        for (const d of this.knownDevices(u)) {
          if (u === this.account.userId && d.deviceId === this.account.deviceId) continue;
          targets.push({ userId: u, deviceId: d.deviceId });
        }
      }
      const withoutSession: PeerAddress[] = [];
      for (const t of targets) if (!(await this.party.hasSession(t))) withoutSession.push(t);
      const bundles = new Map<string, W.DeviceBundle>();
      await inParallel([...new Set(withoutSession.map((t) => t.userId))], FETCH_PARALLEL, async (userId) => {
        for (const b of (await this.api.bundles(userId)).devices) bundles.set(addressKey({ userId, deviceId: b.deviceId }), b);
      });
      const refs = new Map(targets.map((t) => [addressKey(t), this.knownDevices(t.userId).find((d) => d.deviceId === t.deviceId)!]));
      const envelopes = await this.store.exclusive(async () => {
        const out: W.OutgoingEnvelope[] = [];
        for (const t of targets) {
          try {
            if (!(await this.party.hasSession(t))) {
              const b = bundles.get(addressKey(t));
              if (b) await this.startSessionFrom(t, b); else await this.startSession(t);
            }
            const ct = await this.party.encrypt(t, bytes);
            out.push({ userId: t.userId, deviceId: t.deviceId, registrationId: ct.registrationId || refs.get(addressKey(t))!.registrationId, type: ct.type, content: b64(ct.body) });
          } catch (err) {
            if (err instanceof ProtocolError && err.kind === 'untrusted-identity') {
              throw new SafetyNumberChangedError(this.store.getContact(t.userId)?.email ?? t.userId);
            }
            throw err;
          }
        }
        return out;
      });
      try {
        await this.api.sendGroup(groupId, { envelopes });
        return envelopes.length;
      } catch (err) {
        if (!(err instanceof ApiError) || (err.status !== 409 && err.status !== 410) || attempt >= SEND_ATTEMPTS) throw err;
        const body = err.body as W.DeviceMismatch;
        // The server's list is the truth about who receives this group's messages right now.
        users = new Set([...Object.keys(body.devices ?? {}), this.account.userId]);
        await this.store.exclusive(async () => {
          for (const [userId, devices] of Object.entries(body.devices ?? {})) this.store.setJson(`devices:${userId}`, devices);
          for (const gone of body.stale ?? []) await this.party.deleteSession(gone);
          // "extra" of a non-recipient only means "not in this group": that device keeps its 1:1 session.
          for (const gone of body.extra ?? []) {
            if (body.devices?.[gone.userId] === undefined) continue;
            await this.party.deleteSession(gone);
            this.store.removePeerIdentity(gone.userId, gone.deviceId);
          }
        });
      }
    }
  }

  /** Fetches new group events (all groups, or one) and turns them into system messages in the group's chat. */
  async syncGroupEvents(groupId?: string): Promise<number> {
    let ids: string[];
    if (groupId) ids = [groupId];
    else {
      const current = await this.listGroups();
      // Groups we have a chat for but are no longer listed in: we were removed (or the account was).
      const former = this.store.listConversations().filter((c) => c.kind === 'group' && !current.some((g) => g.id === c.id)).map((c) => c.id);
      ids = [...current.map((g) => g.id), ...former];
    }
    let added = 0;
    for (const id of ids) added += await this.syncOneGroup(id);
    this.groupsToSync.clear();
    return added;
  }

  private async syncOneGroup(id: string): Promise<number> {
    let after = Number(this.store.getMeta(`groupEventsAfter:${id}`) ?? '0');
    let added = 0;
    for (;;) {
      let page: G.GroupEvents;
      try {
        page = await this.api.groupEvents(id, after);
      } catch (err) {
        if (err instanceof ApiError && (err.code === 'not_a_member' || err.code === 'unknown_group')) {
          const conv = this.store.getConversation(id);
          if (conv && this.store.getMeta(`groupGone:${id}`) !== String(after)) {
            await this.store.exclusive(async () => {
              this.addGroupSystemMessage(id, `${id}.gone.${after}`, 'You are no longer a member of this group.', this.now());
              this.store.setMeta(`groupGone:${id}`, String(after));
            });
            added++;
          }
          return added;
        }
        throw err;
      }
      const names = await this.namesFor(page.events);
      const conv = this.store.getConversation(id);
      const name = !conv || conv.title === 'New group' ? (await this.api.group(id).catch(() => undefined))?.name : undefined;
      await this.store.exclusive(async () => {
        if (name) this.ensureGroupConversation(id, name);
        for (const e of page.events) {
          if (this.addGroupSystemMessage(id, `${id}.${e.seq}`, groupEventText(e, names), e.at)) added++;
        }
        this.store.setMeta(`groupEventsAfter:${id}`, String(page.next));
      });
      after = page.next;
      if (!page.more) return added;
    }
  }

  private async namesFor(events: G.GroupEvent[]): Promise<GroupEventNames> {
    const ids = new Set<string>();
    for (const e of events) {
      if (e.actor !== 'scim') ids.add(e.actor);
      if (e.subject) ids.add(e.subject);
    }
    ids.delete(this.account.userId);
    await inParallel([...ids].filter((u) => !this.store.getContact(u)), FETCH_PARALLEL, async (u) => { await this.contactFor(u).catch(() => undefined); });
    return { me: this.account.userId, nameOf: (u) => this.store.getContact(u)?.name ?? 'A former member' };
  }

  private addGroupSystemMessage(groupId: string, id: string, text: string, at: number): boolean {
    if (!this.store.getConversation(groupId)) this.store.ensureConversation({ id: groupId, kind: 'group', peerUserId: null, title: 'New group' }, at);
    return this.store.addMessage({
      id, conversationId: groupId, senderUserId: 'system', senderDeviceId: 0, direction: 'system', body: text,
      sentAt: at, receivedAt: this.now(), status: 'system',
    });
  }

  conversations() {
    return this.store.listConversations();
  }

  /** Creates (or finds) the direct chat with a known contact; returns its id. */
  async openDirectConversation(userId: string): Promise<string> {
    const contact = await this.contactFor(userId);
    const id = directConversationId(this.account.userId, userId);
    await this.store.exclusive(async () => {
      this.store.ensureConversation({ id, kind: 'direct', peerUserId: userId, title: contact.name }, this.now());
    });
    return id;
  }

  messages(conversationId: string, limit?: number) {
    return this.store.messages(conversationId, limit);
  }
}

export { ApiError, SignInError, addressKey };
