// PostgreSQL implementation of ServerStore, for several relay nodes sharing one database (parley-server
// --database postgres://…): one sub-store per area over one query helper (sql.ts, which explains the locking),
// the schema in migrations/ (one file per version, applied once per cluster by migrate.ts).
import type { ServerStore } from '../types.ts';
import { PgAttachmentStore } from './attachments.ts';
import { PgAuditStore } from './audit.ts';
import { PgBusinessStore } from './business.ts';
import { PgDeviceStore } from './devices.ts';
import { PgEnvelopeStore } from './envelopes.ts';
import { PgGroupStore } from './groups.ts';
import { PgKeyStore } from './keys.ts';
import { migrate, type MigrationReport } from './migrate.ts';
import { PgRegistrationStore } from './registration.ts';
import { PgScimStore } from './scim.ts';
import { Pg } from './sql.ts';
import { PgUserStore } from './users.ts';
import { PgWorkplaceStore } from './workplace.ts';

export { StoreUnavailableError } from './errors.ts';

export interface PostgresOptions {
  /** Connections per node (default 10). */
  poolSize?: number;
  /** A pooled connection failed while idle (the database restarted, say): the pool replaces it. */
  onIdleError?: (err: Error) => void;
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(unparseable database URL)';
  }
}

export class PostgresStore implements ServerStore {
  readonly registration: PgRegistrationStore;
  readonly users: PgUserStore;
  readonly devices: PgDeviceStore;
  readonly keys: PgKeyStore;
  readonly envelopes: PgEnvelopeStore;
  readonly audit: PgAuditStore;
  readonly scim: PgScimStore;
  readonly groups: PgGroupStore;
  readonly business: PgBusinessStore;
  readonly attachments: PgAttachmentStore;
  readonly workplace: PgWorkplaceStore;

  private constructor(readonly q: Pg, readonly migrations: MigrationReport) {
    this.registration = new PgRegistrationStore(q);
    this.users = new PgUserStore(q);
    this.devices = new PgDeviceStore(q);
    this.keys = new PgKeyStore(q);
    this.envelopes = new PgEnvelopeStore(q);
    this.audit = new PgAuditStore(q);
    this.scim = new PgScimStore(q);
    this.groups = new PgGroupStore(q);
    this.business = new PgBusinessStore(q);
    this.attachments = new PgAttachmentStore(q);
    this.workplace = new PgWorkplaceStore(q);
  }

  /** Connects and brings the schema up to date (once per cluster); a clear one-line error if either fails. */
  static async open(url: string, opts: PostgresOptions = {}): Promise<PostgresStore> {
    const q = new Pg(url, { ...(opts.poolSize ? { max: opts.poolSize } : {}), onIdleError: opts.onIdleError ?? (() => {}) });
    try {
      return new PostgresStore(q, await migrate(q));
    } catch (err) {
      await q.close().catch(() => {});
      const cause = (err as { cause?: unknown }).cause ?? err;
      throw new Error(`PostgreSQL at ${redactUrl(url)}: ${(cause as Error).message || String(cause)}`);
    }
  }

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.q.transaction(fn);
  }

  /** One round trip to the database (readiness checks). */
  async ping(): Promise<void> {
    await this.q.row('SELECT 1');
  }

  close(): Promise<void> {
    return this.q.close();
  }
}
