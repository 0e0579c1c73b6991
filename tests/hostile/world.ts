// One isolated world per hostile test: a fresh real relay (with its dev IdP) on a real socket, the hostile
// proxy in front of it, and real SQLCipher profiles in a temp dir. Each device records the warnings the
// client core gives its user, which is what the tests assert on.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import type { DeviceBundle, KeyBundles, ServerFrame } from '../../common/wire/schemas.ts';
import type { BundleBatchResponse } from '../../common/wire/keys.ts';
import { createIdentity, createPreKeys, createSignedPreKey } from '../../crypto/signal.ts';
import { defaultVault, loginNewDevice, Messenger, type ReceivedMessage, type RejectedEnvelope } from '../../electron/core/messenger.ts';
import { LocalStore } from '../../electron/core/store/local-store.ts';
import { startDevServer, tempDir } from '../e2e/harness.ts';
import { startHostileProxy, type HostileProxy } from './hostile-proxy.ts';

export interface Device {
  m: Messenger;
  dir: string;
  warnings: string[];
  userId: string;
  deviceId: number;
}

export interface World {
  server: RunningServer;
  proxy: HostileProxy;
  root: string;
  /** A signed-in device; `direct`: it talks to the real server, not through the proxy. */
  device(user: string, opts?: { direct?: boolean; now?: () => number }): Promise<Device>;
  /** Opens the same profile again (another process would), e.g. with another clock. */
  reopen(d: Device, opts?: { now?: () => number }): Promise<Device>;
  close(): Promise<void>;
}

export async function startWorld(name: string): Promise<World> {
  const root = tempDir(`hostile-${name}`);
  // The prekey tests drain one device's one-time prekeys from a single requester on purpose; the server's
  // per-requester allowance (server/limits, finding 8) would hand out bundles without them after six.
  const server = await startDevServer(join(root, 'server'), 0, { rateLimits: { prekeysByPair: { burst: 1000, perSecond: 100 } } });
  const proxy = await startHostileProxy(server.url);
  const open: Messenger[] = [];
  let n = 0;
  const wrap = (m: Messenger, dir: string, warnings: string[]): Device => ({ m, dir, warnings, userId: m.me.userId, deviceId: m.me.deviceId });
  return {
    server, proxy, root,
    async device(user, opts = {}) {
      const dir = join(root, `${user}-${++n}`);
      const warnings: string[] = [];
      const m = await loginNewDevice(dir, opts.direct ? server.url : proxy.url, { kind: 'dev-user', username: user }, {
        warn: (l) => warnings.push(l), ...(opts.now ? { now: opts.now } : {}),
      });
      open.push(m);
      return wrap(m, dir, warnings);
    },
    async reopen(d, opts = {}) {
      d.m.close();
      const warnings: string[] = [];
      const m = await Messenger.open(d.dir, { warn: (l) => warnings.push(l), ...(opts.now ? { now: opts.now } : {}) });
      open.push(m);
      return wrap(m, d.dir, warnings);
    },
    async close() {
      for (const m of open) { try { m.close(); } catch { /* closed already */ } }
      await proxy.close();
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface Drained { messages: ReceivedMessage[]; rejected: RejectedEnvelope[]; delivered: string[] }

/** Receives until the queue is drained. */
export async function drain(d: Device, opts: { receipts?: boolean } = {}): Promise<Drained> {
  const out: Drained = { messages: [], rejected: [], delivered: [] };
  await d.m.receive({
    onMessage: (x) => out.messages.push(x), onRejected: (r) => out.rejected.push(r),
    onDelivered: (x) => out.delivered.push(...x.messageIds), receipts: opts.receipts ?? true,
  });
  return out;
}

/** A value read from the device's store through a second connection, as another process would. */
export async function readStore<T>(d: Device, read: (s: LocalStore) => T): Promise<T> {
  const store = await LocalStore.open(d.dir, defaultVault(d.dir));
  try { return read(store); } finally { store.close(); }
}

/** A key bundle of the attacker's own for a device: what a hostile server hands out instead of the real one. */
export async function attackerBundle(deviceId: number, registrationId: number, opts: { badSignature?: boolean } = {}): Promise<DeviceBundle> {
  const id = await createIdentity();
  const signed = await createSignedPreKey(id.keyPair, 7);
  const [pre] = await createPreKeys(77, 1);
  const signature = Buffer.from(signed.signature);
  if (opts.badSignature) signature[10] = signature[10]! ^ 0x01;
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
  return {
    deviceId, registrationId, identityKey: b64(id.keyPair.publicKey),
    signedPreKey: { keyId: 7, publicKey: b64(signed.keyPair.publicKey), signature: signature.toString('base64') },
    preKey: { keyId: 77, publicKey: b64(pre!.keyPair.publicKey) },
  };
}

/**
 * Makes the server hand out `rewrite(devices)` as `userId`'s key bundles (to requests of `from` only, if given),
 * whichever fetch asks: GET /v1/keys/:userId[/:deviceId] or the batched POST /v1/keys/bundles.
 */
export function rewriteBundles(proxy: HostileProxy, userId: string, rewrite: (devices: DeviceBundle[]) => DeviceBundle[], from?: string): () => void {
  return proxy.afterResponse((x) => {
    if (x.status !== 200 || (from !== undefined && x.from?.userId !== from)) return undefined;
    if (x.method === 'GET' && x.path.startsWith(`/v1/keys/${userId}`)) {
      const body = x.body as KeyBundles;
      return { status: 200, body: { ...body, devices: rewrite(body.devices) } };
    }
    if (x.method !== 'POST' || x.path !== '/v1/keys/bundles') return undefined;
    const body = x.body as BundleBatchResponse;
    if (!body.users.some((u) => u.userId === userId)) return undefined;
    return { status: 200, body: { users: body.users.map((u) => (u.userId === userId ? { ...u, devices: rewrite(u.devices) } : u)) } };
  });
}

export const envelopeFrame = (f: ServerFrame) => (f.type === 'envelope' ? f.envelope : undefined);
