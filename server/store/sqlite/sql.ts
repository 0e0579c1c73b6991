// The one query helper of the SQLite store: statements (prepared once and kept by their SQL), typed column
// readers, synchronous transactions (nested ones become savepoints), and the async `transaction` of the
// ServerStore contract. The driver is synchronous, so an async transaction keeps the connection to itself:
// store calls made inside it (tracked with AsyncLocalStorage) run, every other caller waits until it ends.
import Database, { type Statement } from '@signalapp/sqlcipher';
import { AsyncLocalStorage } from 'node:async_hooks';
import { touchedBy, type Watch } from './write-watch.ts';

export type Row = Record<string, unknown>;
export type Params = Record<string, string | number | Uint8Array | null>;

export const bytes = (v: unknown): Uint8Array => {
  if (v instanceof Uint8Array) return v;
  throw new Error('expected a BLOB column');
};
export const num = (v: unknown): number => {
  if (typeof v === 'number') return v;
  throw new Error('expected an INTEGER column');
};
export const str = (v: unknown): string => {
  if (typeof v === 'string') return v;
  throw new Error('expected a TEXT column');
};
export const strOrNull = (v: unknown): string | null => (v == null ? null : str(v));
export const numOrNull = (v: unknown): number | null => (v == null ? null : num(v));

type Value = string | number | Uint8Array<ArrayBuffer> | null;
type Bound = Record<string, Value> | Value[];
/** Positional parameters, for statements written with `?` (batched inserts: sqlite/envelope-batch.ts). */
export type ParamList = (string | number | Uint8Array | null)[];

/**
 * The driver wants Uint8Array<ArrayBuffer>: a view on a SharedArrayBuffer is copied. Other views, such as slices of
 * Node's buffer pool, are bound as they are: the driver binds the view's own bytes (tests/server/sql-bind.test.ts).
 */
const owned = (v: string | number | Uint8Array | null): Value =>
  v instanceof Uint8Array && !(v.buffer instanceof ArrayBuffer) ? new Uint8Array(v) : v as Value;

function bind(params: Params | ParamList | undefined): Bound | undefined {
  if (Array.isArray(params)) return params.map(owned);
  let out: Record<string, Value> | undefined; // stays undefined for {}: the driver refuses {} for a statement without parameters
  for (const k in params) (out ??= {})[k] = owned(params[k]!);
  return out;
}

export class Sql {
  readonly #db: Database;
  readonly #context = new AsyncLocalStorage<object>();
  /**
   * Statements by their SQL. The driver caches them too, but looks them up by a key it builds by concatenating
   * the whole SQL on every call (~2% of the relay's CPU); a literal's hash is computed once.
   */
  readonly #statements = new Map<string, { statement: Statement; touches: Watch[] }>();
  readonly #watches: Watch[] = [];
  /** The open async transaction, if any: its token (the ALS store of its callers) and when it ends. */
  #open: { token: object; done: Promise<void> } | undefined;
  #depth = 0;

  constructor(path: string) {
    this.#db = new Database(path, { cacheStatements: true });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    // Deleted rows (acknowledged envelopes, used prekeys) are overwritten, not left in free pages. SQLCipher
    // builds default to it; said here so that no other build of the driver silently keeps them.
    this.#db.pragma('secure_delete = ON');
    // 64 MiB of page cache instead of SQLite's 2 MiB: the relay's queue, its indexes and the sendId log are
    // written and read all the time, and with 2 MiB their pages kept leaving the cache (each miss a read from
    // the file): ~8% more 1:1 sends per second on the relay bench, same-run anchor unchanged.
    this.#db.pragma('cache_size = -65536');
  }

  #prepared(sql: string): Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = { statement: this.#db.prepare(sql), touches: touchedBy(sql, this.#watches) };
      this.#statements.set(sql, s);
    }
    for (const w of s.touches) w.count++;
    return s.statement;
  }

  /**
   * A count of the statements run so far that may have changed these columns of `table` (write-watch.ts): while
   * it stays the same, what was read from them still holds. Register watches before the statements they follow.
   */
  watch(table: string, columns: readonly string[]): () => number {
    const w: Watch = { table, columns, count: 0 };
    this.#watches.push(w);
    for (const [sql, s] of this.#statements) if (touchedBy(sql, [w]).length > 0) s.touches.push(w);
    return () => w.count;
  }

  get(sql: string, params?: Params | ParamList): Row | undefined {
    const p = bind(params);
    return p ? this.#prepared(sql).get(p) : this.#prepared(sql).get();
  }

  all(sql: string, params?: Params | ParamList): Row[] {
    const p = bind(params);
    return p ? this.#prepared(sql).all(p) : this.#prepared(sql).all();
  }

  /** Returns the number of changed rows and the rowid of the last insert. */
  run(sql: string, params?: Params | ParamList): { changes: number; lastInsertRowid: number } {
    const p = bind(params);
    return p ? this.#prepared(sql).run(p) : this.#prepared(sql).run();
  }

  /** Several statements, no parameters (migrations). */
  exec(sql: string): void {
    for (const w of this.#watches) w.count++;
    this.#db.exec(sql);
  }

  pragma(source: string): unknown {
    return this.#db.pragma(source, { simple: true });
  }

  /** Resolves when the connection is free for the caller: not inside someone else's async transaction. */
  #blocked(): Promise<void> | undefined {
    return this.#open && this.#context.getStore() !== this.#open.token ? this.#open.done : undefined;
  }

  /**
   * Runs `fn` without a transaction once the connection is free: reads, or one write statement (atomic by
   * itself). No await between the check and `fn`.
   */
  async plain<T>(fn: () => T): Promise<T> {
    for (let w = this.#blocked(); w; w = this.#blocked()) await w;
    return fn();
  }

  /** Runs `fn` in a (write) transaction once the connection is free; inside an async transaction, a savepoint. */
  async write<T>(fn: () => T): Promise<T> {
    for (let w = this.#blocked(); w; w = this.#blocked()) await w;
    return this.tx(fn);
  }

  /** A synchronous transaction (BEGIN IMMEDIATE: the write lock up front, so other connections wait, never deadlock). */
  tx<T>(fn: () => T): T {
    const depth = this.#depth;
    this.run(depth === 0 ? 'BEGIN IMMEDIATE' : `SAVEPOINT sp${depth}`);
    this.#depth++;
    try {
      const result = fn();
      this.run(depth === 0 ? 'COMMIT' : `RELEASE sp${depth}`);
      return result;
    } catch (err) {
      if (depth === 0) this.run('ROLLBACK');
      else { this.run(`ROLLBACK TO sp${depth}`); this.run(`RELEASE sp${depth}`); }
      throw err;
    } finally {
      this.#depth = depth;
    }
  }

  /** ServerStore.transaction: `fn` and the store calls it makes form one transaction. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#open && this.#context.getStore() === this.#open.token) return fn(); // already inside: join it
    for (let w = this.#blocked(); w; w = this.#blocked()) await w;
    const token = {};
    let end!: () => void;
    this.#open = { token, done: new Promise<void>((resolve) => { end = resolve; }) };
    let begun = false;
    try {
      this.run('BEGIN IMMEDIATE');
      begun = true;
      this.#depth = 1;
      const result = await this.#context.run(token, fn);
      this.run('COMMIT');
      return result;
    } catch (err) {
      if (begun) this.run('ROLLBACK');
      throw err;
    } finally {
      this.#depth = 0;
      this.#open = undefined;
      // Off between transactions: an enabled AsyncLocalStorage keeps Node's promise hooks on for every promise of
      // the process (the relay's hot path included); the next transaction's run() turns it on again.
      this.#context.disable();
      end();
    }
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }
}
