// The one query helper of the PostgreSQL store: a connection pool, typed column readers, write transactions
// (inside a ServerStore.transaction, savepoints), and the async `transaction` of the contract. A store call
// made inside a transaction runs on that transaction's connection (tracked with AsyncLocalStorage); any other
// call takes a pooled connection, so readers never wait for writers (they see the last committed state).
//
// Concurrency, where SQLite has one writer at a time and PostgreSQL has many (several nodes, each a pool):
//   - DIRECTORY advisory lock: ServerStore.transaction and every read-check-write of users, devices.create,
//     SCIM and groups hold it, so those run one at a time across the cluster, as on SQLite;
//   - AUDIT advisory lock: appends to the hash chain, one at a time (NONCES: the count-then-insert of the
//     registration nonce cap, likewise; never held with another lock);
//   - device rows (FOR NO KEY UPDATE): envelope inserts, key uploads and lifecycle changes of one device
//     queue behind each other (envelopes.ts explains why delivery needs it).
// Lock order, to never deadlock: DIRECTORY, then AUDIT, then device rows in (user_id, device_id) order.
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { StoreUnavailableError, unavailable } from './errors.ts';

export type Row = Record<string, unknown>;
export type Param = string | number | boolean | Uint8Array | null | readonly (string | number | Uint8Array | null)[];

/** Cluster-wide advisory lock keys (pg_advisory_xact_lock / pg_advisory_lock). */
export const LOCK = { migrate: 7_301_000_001, directory: 7_301_000_002, audit: 7_301_000_003, nonces: 7_301_000_004 } as const;
type TxLock = typeof LOCK.directory | typeof LOCK.audit | typeof LOCK.nonces;

export const bytes = (v: unknown): Uint8Array => {
  // A plain Uint8Array view, as the SQLite store returns (not the driver's Buffer subclass).
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new Error('expected a BYTEA column');
};
export const num = (v: unknown): number => {
  if (typeof v === 'number') return v;
  throw new Error('expected a numeric column');
};
export const str = (v: unknown): string => {
  if (typeof v === 'string') return v;
  throw new Error('expected a TEXT column');
};
export const bool = (v: unknown): boolean => {
  if (typeof v === 'boolean') return v;
  throw new Error('expected a BOOLEAN column');
};
export const strOrNull = (v: unknown): string | null => (v == null ? null : str(v));
export const numOrNull = (v: unknown): number | null => (v == null ? null : num(v));

/** BIGINT (ids, millisecond times, counts) as a JavaScript number: every value the store writes is below 2^53. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8) {
      return (text: string) => {
        const n = Number(text);
        if (!Number.isSafeInteger(n)) throw new Error(`BIGINT ${text} is beyond JavaScript's safe integers`);
        return n;
      };
    }
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

interface Context {
  client: pg.PoolClient;
  /** Inside a write (its own transaction or a savepoint): nested writes join it. */
  inWrite: boolean;
  /** Savepoints of one transaction run one after the other. */
  queue: { tail: Promise<void>; depth: number; locks: Set<number> };
}

async function run(client: pg.Pool | pg.PoolClient, text: string, params: readonly Param[] = []): Promise<pg.QueryResult<Row>> {
  try {
    return await client.query<Row>(text, params as unknown[]);
  } catch (err) {
    throw unavailable(err) ?? err;
  }
}

export class Pg {
  readonly pool: pg.Pool;
  readonly #context = new AsyncLocalStorage<Context>();

  constructor(url: string, opts: { max?: number; onIdleError: (err: Error) => void }) {
    this.pool = new pg.Pool({
      connectionString: url, types, max: opts.max ?? 10,
      // A database that does not answer fails requests after this instead of holding them.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: 'parley-server',
    });
    // A pooled connection the server closed (restart, failover) is dropped by the pool; without a listener
    // its error would end the process.
    this.pool.on('error', opts.onIdleError);
  }

  /** Rows of one statement: on the caller's transaction connection, else on any pooled connection. */
  async rows(text: string, params?: readonly Param[]): Promise<Row[]> {
    return (await run(this.#context.getStore()?.client ?? this.pool, text, params)).rows;
  }

  async row(text: string, params?: readonly Param[]): Promise<Row | undefined> {
    return (await this.rows(text, params))[0];
  }

  /** The number of rows the statement changed. */
  async run(text: string, params?: readonly Param[]): Promise<number> {
    return (await run(this.#context.getStore()?.client ?? this.pool, text, params)).rowCount ?? 0;
  }

  async #connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw unavailable(err) ?? err;
    }
  }

  async #lock(ctx: Context, locks: readonly TxLock[]): Promise<void> {
    for (const key of locks) {
      if (ctx.queue.locks.has(key)) continue;
      await run(ctx.client, 'SELECT pg_advisory_xact_lock($1)', [key]);
      ctx.queue.locks.add(key);
    }
  }

  /** BEGIN … COMMIT on a connection of its own, ROLLBACK if `fn` throws; a broken connection is discarded. */
  async #own<T>(locks: readonly TxLock[], inWrite: boolean, fn: () => Promise<T>): Promise<T> {
    const client = await this.#connect();
    const ctx: Context = { client, inWrite, queue: { tail: Promise.resolve(), depth: 0, locks: new Set() } };
    let broken: Error | undefined;
    try {
      await run(client, 'BEGIN');
      await this.#lock(ctx, locks);
      const result = await this.#context.run(ctx, fn);
      await run(client, 'COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
      if (err instanceof StoreUnavailableError) broken ??= err;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Runs `fn` as one write: its own transaction, or inside a ServerStore.transaction a savepoint (so a write
   * that fails undoes only itself, as on SQLite). `locks` are taken first (see the lock order above).
   */
  async write<T>(fn: () => Promise<T>, locks: readonly TxLock[] = []): Promise<T> {
    const ctx = this.#context.getStore();
    if (!ctx) return this.#own(locks, true, fn);
    if (ctx.inWrite) { await this.#lock(ctx, locks); return fn(); }
    // One savepoint at a time on the transaction's connection, however the caller's calls interleave.
    const { queue } = ctx;
    const previous = queue.tail;
    let done!: () => void;
    queue.tail = new Promise<void>((resolve) => { done = resolve; });
    await previous;
    const name = `sp${++queue.depth}`;
    try {
      await run(ctx.client, `SAVEPOINT ${name}`);
      await this.#lock(ctx, locks);
      try {
        const result = await this.#context.run({ ...ctx, inWrite: true }, fn);
        await run(ctx.client, `RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) {
          await run(ctx.client, `ROLLBACK TO SAVEPOINT ${name}`);
          await run(ctx.client, `RELEASE SAVEPOINT ${name}`);
        }
        throw err;
      }
    } finally {
      done();
    }
  }

  /**
   * ServerStore.transaction: `fn` and the store calls it makes form one transaction that holds the DIRECTORY
   * lock, so transactions run one at a time across the cluster; nested calls join it.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#context.getStore()) return fn();
    return this.#own([LOCK.directory], false, fn);
  }

  /** One connection for the caller alone (migrations: a session-level lock). */
  async session<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      if (err instanceof StoreUnavailableError) broken = err;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
