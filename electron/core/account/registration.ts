// Signing this machine in as a new device: OIDC sign-in (dev IdP, browser or device code), registration
// with the server, a fresh Signal identity and prekeys, the lifecycle key, then profile.json. Nothing is
// written unless it all works; a wiped profile or one already signed in is refused.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createIdentity, createSignedPreKey } from '../../../crypto/signal.ts';
import { devIdpAutoLogin } from '../auth/dev-login.ts';
import { SignInError, signInWithBrowser, signInWithDeviceCode, type DeviceCodePrompt, type OpenBrowser, type SignInTarget } from '../auth/oidc.ts';
import { ApiClient } from '../net/api.ts';
import { LocalStore, STORE_FILE } from '../store/local-store.ts';
import { FileVault, type SecretVault } from '../store/vault.ts';
import { DeviceWipedError, LIFECYCLE_KEY, newLifecycleKey, readWiped } from '../lifecycle/lifecycle.ts';
import { readProfileInfo, writeProfileInfo } from './profile.ts';
import { makePreKeys, PREKEY_BATCH, prekeysForUpload, PUBLISHED } from './prekeys.ts';
import { deviceName, platformName } from '../devices/devices.ts';
import { b64, UsageError, type Account, type MessengerOptions } from '../context.ts';

export type LoginMethod =
  | { kind: 'dev-user'; username: string }
  /** `signal`: aborting it ends a sign-in still waiting for the browser, and no device is registered after it. */
  | { kind: 'browser'; openBrowser: OpenBrowser; signal?: AbortSignal }
  | { kind: 'device-code'; onPrompt: (p: DeviceCodePrompt) => void };

export function defaultVault(profileDir: string): SecretVault {
  return new FileVault(join(profileDir, 'vault'));
}

/** Whether a store exists in `profileDir` (profile.json alone is not a usable profile). */
export function hasStore(profileDir: string): boolean {
  return existsSync(join(profileDir, STORE_FILE));
}

/** Registers a new device and creates its profile; returns the open store and the signed-in server client. */
export async function registerDevice(
  profileDir: string, serverUrl: string, method: LoginMethod, opts: MessengerOptions = {},
): Promise<{ store: LocalStore; api: ApiClient }> {
  const wiped = readWiped(profileDir);
  if (wiped) throw new DeviceWipedError(wiped);
  if (hasStore(profileDir) || readProfileInfo(profileDir)) {
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
    idToken = await signInWithBrowser(target, nonce, method.openBrowser, undefined, method.signal);
    if (method.signal?.aborted) throw new SignInError('sign-in was cancelled');
  } else {
    idToken = await signInWithDeviceCode(target, nonce, method.onPrompt);
  }

  const identity = await createIdentity();
  const lifecycle = newLifecycleKey();
  const registration = await api.register({
    idToken, registrationId: identity.registrationId, name: deviceName(opts.deviceKind ?? 'Parley'), platform: platformName(),
    lifecycleKey: b64(lifecycle.publicRaw),
  });
  api.setCredential(registration.credential);

  const now = opts.now ?? Date.now;
  const vault = opts.vault ?? defaultVault(profileDir);
  if (vault.warning) opts.warn?.(`warning: ${vault.warning}`);
  const store = await LocalStore.open(profileDir, vault);
  // Kept apart from the store key: it signs status checks before unlock and the receipt after a wipe.
  await vault.save(LIFECYCLE_KEY, lifecycle.privateDer);
  const signed = await createSignedPreKey(identity.keyPair, 1);
  const preKeys = await store.exclusive(async () => {
    const account: Account = {
      server: api.baseUrl, userId: registration.userId, deviceId: registration.deviceId, email: registration.email,
      name: registration.name, orgAdmin: registration.orgAdmin, issuer: config.issuer, organization: config.organization,
    };
    store.setJson('account', account);
    store.setMeta('credential', registration.credential);
    store.setJson('identity', { publicKey: b64(identity.keyPair.publicKey), privateKey: b64(identity.keyPair.privateKey), registrationId: identity.registrationId });
    store.putSignedPreKey({ keyId: signed.keyId, publicKey: signed.keyPair.publicKey, privateKey: signed.keyPair.privateKey, signature: signed.signature }, now());
    store.setMeta(PUBLISHED, String(signed.keyId)); // uploaded below; the profile is unusable if that fails
    return makePreKeys(store, 1, PREKEY_BATCH);
  });
  await api.uploadKeys({
    identityKey: b64(identity.keyPair.publicKey),
    signedPreKey: { keyId: signed.keyId, publicKey: b64(signed.keyPair.publicKey), signature: b64(signed.signature) },
    preKeys: prekeysForUpload(preKeys),
  });
  writeProfileInfo(profileDir, {
    version: 1, server: api.baseUrl, userId: registration.userId, deviceId: registration.deviceId, email: registration.email, vault: vault.kind,
    organization: config.organization, leasePublicKey: registration.leasePublicKey, offlineLockHours: registration.offlineLockHours,
    offlineWipeDays: registration.offlineWipeDays, registeredAt: now(), maxSeenTime: now(),
  });
  return { store, api };
}
