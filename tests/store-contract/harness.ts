// The shared store suite's backends: every contract test (contract-*.ts) gets a fresh, empty store of the kind
// under test. SQLite: a new data dir per test. PostgreSQL: one real server per test file (tests/support/services.ts),
// a template database migrated once, and a fresh database per test made from it (CREATE DATABASE … TEMPLATE:
// ~0.1 s, much less than migrating), so tests stay independent and the file stays quick on 2 cores.
import { after, afterEach, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { PostgresStore } from '../../server/store/postgres/index.ts';
import type { ServerStore } from '../../server/store/types.ts';
import { missing, startPostgres, type Postgres } from '../support/services.ts';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Why this backend cannot run here (the tests skip with it), or undefined. */
  skip: string | undefined;
  /** A fresh, empty, migrated store; closed (and its data deleted) after the test. */
  fresh(): Promise<ServerStore>;
}

export function sqliteBackend(): Backend {
  const open: Array<{ store: ServerStore; dir: string }> = [];
  afterEach(async () => {
    for (const { store, dir } of open.splice(0)) {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
  return {
    name: 'sqlite', skip: undefined,
    async fresh() {
      const dir = await mkdtemp(join(tmpdir(), 'parley-contract-'));
      const store = new SqliteStore(dir);
      open.push({ store, dir });
      return store;
    },
  };
}

export interface PostgresBackend extends Backend {
  /** The running server (to stop and start it). */
  server(): Postgres;
  /** The URL of a fresh, empty, migrated database (for tests that open several stores on one database). */
  freshUrl(): Promise<string>;
  /** The URL of a fresh database with no schema at all. */
  emptyUrl(): Promise<string>;
}

/** Runs `fn` on a new connection to the server's `postgres` database (new each time: the server may have restarted). */
async function asAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {}); // a restart during the call shows up as the query's error
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

const TEMPLATE = 'parley_contract_template';

export function postgresBackend(): PostgresBackend {
  const skip = missing('postgres');
  let server: Postgres | undefined;
  let n = 0;
  const open: Array<{ store: ServerStore; db: string }> = [];
  const urlOf = (db: string) => server!.url.replace(/\/postgres$/, `/${db}`);
  before(async () => {
    if (skip) return;
    server = await startPostgres();
    await asAdmin(server.url, (c) => c.query(`CREATE DATABASE ${TEMPLATE}`));
    await (await PostgresStore.open(urlOf(TEMPLATE))).close();
  });
  afterEach(async () => {
    for (const { store, db } of open.splice(0)) {
      await store.close().catch(() => {});
      await asAdmin(server!.url, (c) => c.query(`DROP DATABASE IF EXISTS ${db}`)).catch(() => {});
    }
  });
  after(async () => {
    await server?.destroy();
  });
  const create = async (template: string) => {
    const db = `contract_${++n}`;
    await asAdmin(server!.url, (c) => c.query(`CREATE DATABASE ${db} TEMPLATE ${template}`));
    return urlOf(db);
  };
  return {
    name: 'postgres', skip,
    server: () => server!,
    freshUrl: () => create(TEMPLATE),
    emptyUrl: () => create('template0'),
    async fresh() {
      const url = await create(TEMPLATE);
      const store = await PostgresStore.open(url);
      open.push({ store, db: url.slice(url.lastIndexOf('/') + 1) });
      return store;
    },
  };
}

// ---- fixtures shared by the contract files ----

export const claims = (sub: string, extra: Partial<{ email: string; name: string; groups: string[] }> = {}) => ({
  issuer: 'https://idp.test', sub, email: `${sub}@acme.test`, name: sub, groups: [], ...extra,
});

export const bytes = (...b: number[]) => new Uint8Array(b);
export const key33 = (seed: number) => new Uint8Array(33).fill(seed);

/** Equal byte contents, whatever the Uint8Array subclass the driver hands back. */
export const sameBytes = (a: Uint8Array | null | undefined, b: Uint8Array | null | undefined) =>
  a != null && b != null && Buffer.from(a).equals(Buffer.from(b));

export async function newDevice(store: ServerStore, userId: string, now = 1, name = 'laptop') {
  return store.devices.create({ userId, registrationId: 100, name, credentialHash: new Uint8Array(32).fill(7), lifecycleKey: new Uint8Array(32).fill(9) }, now);
}

/** A user with one device that published its keys (so others see it and can send to it). */
export async function activeUser(store: ServerStore, sub: string, preKeyIds: number[] = [1, 2, 3]) {
  const user = await store.users.create(claims(sub), 1);
  const device = await newDevice(store, user.userId);
  const res = await store.keys.upload(user.userId, device.deviceId, {
    identityKey: key33(5), signedPreKey: { keyId: 1, publicKey: key33(6), signature: new Uint8Array(64).fill(1) },
    preKeys: preKeyIds.map((keyId) => ({ keyId, publicKey: key33(keyId) })),
  });
  if (!res.ok) throw new Error(`upload: ${res.reason}`);
  return { user, device };
}

export const envelopeTo = (destUser: string, destDevice: number, from: { userId: string; deviceId: number }, content: number, groupId?: string) => ({
  destUser, destDevice, sourceUser: from.userId, sourceDevice: from.deviceId, type: 1 as const,
  content: bytes(content), serverTimestamp: 1000 + content, ...(groupId ? { groupId } : {}),
});

export const auditEntry = (at: number, targetUserId: string, deviceId: number | null = 1) => ({
  at, actor: { userId: null, email: 'admin@acme.test' }, action: 'wipe requested' as const,
  target: { userId: targetUserId, email: 't@acme.test', deviceId }, reason: 'lost', outcome: 'pending',
});
