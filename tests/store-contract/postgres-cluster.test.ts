// The PostgreSQL store as a cluster uses it: several stores (one per node) on one database at once. Migrations
// run once however many nodes start together; concurrent writes that SQLite serialises by having one writer keep
// their meaning here (one user per identity, device numbers, the audit chain, one-time prekeys handed out once,
// a device's envelopes visible in id order); a database restart gives clear errors, then the store recovers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { verifyAuditChain } from '../../server/audit.ts';
import { resolveIdentity } from '../../server/identity/link.ts';
import { PostgresStore, StoreUnavailableError } from '../../server/store/postgres/index.ts';
import { LATEST_VERSION } from '../../server/store/postgres/migrate.ts';
import { MIGRATIONS } from '../../server/store/postgres/migrations/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { activeUser, auditEntry, claims, envelopeTo, newDevice, postgresBackend } from './harness.ts';

const backend = postgresBackend();
const it = (name: string, fn: () => Promise<void>) => test(`postgres cluster: ${name}`, { skip: backend.skip }, fn);

/** `n` stores (nodes) on one database, closed after `fn`. */
async function nodes<T>(url: string, n: number, fn: (stores: PostgresStore[]) => Promise<T>): Promise<T> {
  const stores = await Promise.all(Array.from({ length: n }, () => PostgresStore.open(url)));
  try {
    return await fn(stores);
  } finally {
    for (const s of stores) await s.close();
  }
}

it('migrations run once per cluster: four nodes starting together on an empty database', async () => {
  const url = await backend.emptyUrl();
  await nodes(url, 4, async (stores) => {
    assert.deepEqual(stores.map((s) => s.migrations.applied.length).sort(), [0, 0, 0, LATEST_VERSION], 'one node applied them all, the others none');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const rows = (await c.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
      assert.deepEqual(rows.map((r) => [r.version, r.name]), MIGRATIONS.map((m) => [m.version, m.name]));
      await c.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${LATEST_VERSION + 1}, 'from-the-future', 0)`);
    } finally {
      await c.end();
    }
  });
  await assert.rejects(PostgresStore.open(url), new RegExp(`schema version ${LATEST_VERSION + 1} is newer than this server \\(${LATEST_VERSION}\\)`));
});

it('an unreachable database fails the start with one clear line (no password in it)', async () => {
  const port = backend.server().port;
  await assert.rejects(PostgresStore.open(`postgres://parley:s3cret@127.0.0.1:${port + 1}/nothing`), (err: Error) => {
    assert.match(err.message, /^PostgreSQL at postgres:\/\/parley:\*\*\*@127\.0\.0\.1:\d+\/nothing: .*ECONNREFUSED/);
    assert.doesNotMatch(err.message, /s3cret/);
    return true;
  });
});

it('the same person registering on two nodes at once becomes one user', async () => {
  await nodes(await backend.freshUrl(), 2, async ([a, b]) => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      resolveIdentity(i % 2 ? a! : b!, claims('racer'), undefined, 10 + i)));
    assert.ok(results.every((r) => r.ok));
    assert.equal(new Set(results.map((r) => r.ok && r.user.userId)).size, 1);
    assert.equal((await a!.scim.listUsers(null, 0, 10)).total, 1, 'one SCIM row');
  });
});

it('devices registered on two nodes at once get distinct numbers; audit appends from both form one chain', async () => {
  await nodes(await backend.freshUrl(), 2, async ([a, b]) => {
    const u = await a!.users.create(claims('many'), 1);
    const devices = await Promise.all(Array.from({ length: 8 }, (_, i) => newDevice(i % 2 ? a! : b!, u.userId, i)));
    assert.deepEqual(devices.map((d) => d.deviceId).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8]);
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a! : b!).audit.append(auditEntry(i, u.userId))));
    const chain = [...await b!.audit.list(100)].reverse();
    assert.deepEqual(chain.map((e) => e.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(verifyAuditChain(chain), null);
  });
});

it('the nonce cap holds when nodes create nonces at once', async () => {
  await nodes(await backend.freshUrl(), 2, async ([a, b]) => {
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      (i % 2 ? a! : b!).registration.createNonce(`n${i}`, 1000, { now: 1, max: 5 })));
    assert.equal(made.filter(Boolean).length, 5);
  });
});

it('a send retried on two nodes at once with the same sendId is stored once', async () => {
  await nodes(await backend.freshUrl(), 2, async ([a, b]) => {
    const { user: dest, device: dd } = await activeUser(a!, 'dest');
    const { user: src, device: sd } = await activeUser(a!, 'src');
    const from = { userId: src.userId, deviceId: sd.deviceId };
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a! : b!).envelopes.storeOnce(
      [envelopeTo(dest.userId, dd.deviceId, from, i)],
      { userId: src.userId, deviceId: sd.deviceId, sendId: 'retry-me', serverTimestamp: 100 + i, expiresAt: 10_000, now: 1 })));
    const stored = results.filter((r) => 'stored' in r);
    assert.equal(stored.length, 1);
    const first = 100 + results.findIndex((r) => 'stored' in r);
    assert.ok(results.every((r) => 'stored' in r || r.duplicateOf === first), 'every retry answers with the first send');
    assert.equal((await a!.envelopes.after(dest.userId, dd.deviceId, 0, 100)).length, 1);
  });
});

it('one-time prekeys fetched on two nodes at once are each handed out once', async () => {
  await nodes(await backend.freshUrl(), 2, async ([a, b]) => {
    const ids = Array.from({ length: 10 }, (_, i) => i + 1);
    const { user } = await activeUser(a!, 'popular', ids);
    const bundles = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a! : b!).keys.takeBundles(user.userId)));
    const handed = bundles.map((bs) => bs[0]!.preKey?.keyId).filter((k) => k !== undefined);
    assert.deepEqual(handed.sort((x, y) => x! - y!), ids, 'every prekey once, two bundles without one');
  });
});

it("a device's envelopes from many concurrent senders become visible in id order (a reader after the last id misses none)", async () => {
  await nodes(await backend.freshUrl(), 3, async ([a, b, reader]) => {
    const { user: dest, device: dd } = await activeUser(a!, 'dest');
    const { user: src, device: sd } = await activeUser(a!, 'src');
    const from = { userId: src.userId, deviceId: sd.deviceId };
    const TOTAL = 300;
    let sent = 0;
    const senders = Array.from({ length: 8 }, async (_, w) => {
      const s = w % 2 ? a! : b!;
      while (sent < TOTAL) {
        const n = ++sent;
        // Some sends also address another device first: locks are taken in key order, never deadlocking.
        await s.envelopes.store([envelopeTo(src.userId, 7, from, n % 250), envelopeTo(dest.userId, dd.deviceId, from, n % 250)]);
      }
    });
    // The delivery loop of server/delivery.ts: read after the last id seen, again and again.
    let last = 0;
    const seen: number[] = [];
    let done = false;
    const reading = (async () => {
      while (!done || seen.length < TOTAL) {
        const batch = await reader!.envelopes.after(dest.userId, dd.deviceId, last, 100);
        for (const e of batch) { seen.push(e.id); last = e.id; }
        if (done && batch.length === 0) break;
      }
    })();
    await Promise.all(senders);
    done = true;
    await reading;
    const all = (await reader!.envelopes.after(dest.userId, dd.deviceId, 0, 10_000)).map((e) => e.id);
    assert.equal(all.length, TOTAL);
    assert.deepEqual(seen, all, 'the reader saw every envelope, in order, none skipped');
  });
});

it('an id taken by a send that commits late is still seen by a reader after the last id (later sends wait for it)', async () => {
  const url = await backend.freshUrl();
  await nodes(url, 2, async ([a, b]) => {
    const { user: dest, device: dd } = await activeUser(a!, 'dest');
    const { user: src, device: sd } = await activeUser(a!, 'src');
    const from = { userId: src.userId, deviceId: sd.deviceId };
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let inserted!: () => void;
    const first = new Promise<void>((r) => { inserted = r; });
    // Node A's send takes its id inside a transaction that stays open…
    const slow = a!.transaction(async () => { await a!.envelopes.store([envelopeTo(dest.userId, dd.deviceId, from, 1)]); inserted(); await held; });
    await first;
    // …while node B sends to the same device: it must queue behind A (a later id, visible after A's).
    let bDone = false;
    const fast = b!.envelopes.store([envelopeTo(dest.userId, dd.deviceId, from, 2)]).then(() => { bDone = true; });
    const probe = new pg.Client({ connectionString: url });
    await probe.connect();
    try {
      await waitFor(async () => bDone || Number((await probe.query(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")).rows[0].n) > 0,
      { what: "B's send to finish or wait for A's lock" });
    } finally {
      await probe.end();
    }
    const readBefore = (await b!.envelopes.after(dest.userId, dd.deviceId, 0, 10)).map((e) => e.id);
    release();
    await slow;
    await fast;
    const readAfter = (await b!.envelopes.after(dest.userId, dd.deviceId, readBefore.at(-1) ?? 0, 10)).map((e) => e.id);
    const all = (await b!.envelopes.after(dest.userId, dd.deviceId, 0, 10)).map((e) => e.id);
    assert.equal(all.length, 2);
    assert.deepEqual([...readBefore, ...readAfter], all, 'a delivery loop reading after its last id misses nothing');
  });
});

it('a wipe racing sends leaves nothing queued for the wiped device', async () => {
  await nodes(await backend.freshUrl(), 2, async ([a, b]) => {
    const { user: dest, device: dd } = await activeUser(a!, 'dest');
    const { user: src, device: sd } = await activeUser(a!, 'src');
    const from = { userId: src.userId, deviceId: sd.deviceId };
    const sends = Array.from({ length: 40 }, (_, i) => b!.envelopes.store([envelopeTo(dest.userId, dd.deviceId, from, i)]));
    const wipe = a!.devices.changeState({ userId: dest.userId, deviceId: dd.deviceId, state: 'wipe-pending', at: 5, reason: 'lost', purge: true },
      auditEntry(5, dest.userId));
    await Promise.all([...sends, wipe]);
    assert.deepEqual(await a!.envelopes.after(dest.userId, dd.deviceId, 0, 100), []);
  });
});

it('a database restart: calls fail with StoreUnavailableError (503 store_unavailable), then work again', async () => {
  const store = await PostgresStore.open(await backend.freshUrl());
  try {
    const u = await store.users.create(claims('before'), 1);
    await backend.server().stop();
    const err = await store.users.get(u.userId).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof StoreUnavailableError, `got ${String(err)}`);
    assert.equal(err.statusCode, 503);
    assert.deepEqual(err.body(), { error: 'store_unavailable', message: 'The server cannot reach its database right now; retry in a moment.' });
    await assert.rejects(store.transaction(async () => store.users.create(claims('during'), 2)), StoreUnavailableError);
    await backend.server().start();
    assert.equal((await store.users.get(u.userId))?.userId, u.userId, 'the pool reconnected');
    assert.ok(await store.transaction(async () => store.users.create(claims('after'), 3)));
  } finally {
    await store.close();
  }
});
