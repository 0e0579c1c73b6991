// SQLite implementation of ServerStore: one file `<dataDir>/parley-server.db` in WAL mode, one sub-store per
// area under sqlite/ sharing one connection and query helper (sqlite/sql.ts), the schema in
// sqlite/migrations/ (one file per version). The driver is synchronous; methods are async to honour the contract.
import { join } from 'node:path';
import { secureDataDir, securePrivateFile } from '../data-dir.ts';
import type { ServerStore } from './types.ts';
import { SqliteAttachmentStore } from './sqlite/attachments.ts';
import { SqliteAuditStore } from './sqlite/audit.ts';
import { SqliteBusinessStore } from './sqlite/business.ts';
import { SqliteDeviceStore } from './sqlite/devices.ts';
import { SqliteEnvelopeStore } from './sqlite/envelopes.ts';
import { SqliteGroupStore } from './sqlite/groups.ts';
import { SqliteKeyStore } from './sqlite/keys.ts';
import { migrate } from './sqlite/migrate.ts';
import { SqliteRegistrationStore } from './sqlite/registration.ts';
import { SqliteScimStore } from './sqlite/scim.ts';
import { Sql } from './sqlite/sql.ts';
import { SqliteUserStore } from './sqlite/users.ts';
import { SqliteWorkplaceStore } from './sqlite/workplace.ts';

export const DB_FILE = 'parley-server.db';

export class SqliteStore implements ServerStore {
  readonly #q: Sql;
  readonly registration: SqliteRegistrationStore;
  readonly users: SqliteUserStore;
  readonly devices: SqliteDeviceStore;
  readonly keys: SqliteKeyStore;
  readonly envelopes: SqliteEnvelopeStore;
  readonly audit: SqliteAuditStore;
  readonly scim: SqliteScimStore;
  readonly groups: SqliteGroupStore;
  readonly business: SqliteBusinessStore;
  readonly attachments: SqliteAttachmentStore;
  readonly workplace: SqliteWorkplaceStore;

  constructor(dataDir: string) {
    secureDataDir(dataDir);
    const file = join(dataDir, DB_FILE);
    // Created 0600 before SQLite opens it, so its WAL and shared-memory files are 0600 too.
    securePrivateFile(file, { create: true });
    for (const f of [`${file}-wal`, `${file}-shm`]) securePrivateFile(f);
    this.#q = new Sql(file);
    try {
      migrate(this.#q);
    } catch (err) {
      this.#q.close();
      throw err;
    }
    this.registration = new SqliteRegistrationStore(this.#q);
    this.users = new SqliteUserStore(this.#q);
    this.devices = new SqliteDeviceStore(this.#q);
    this.keys = new SqliteKeyStore(this.#q);
    this.envelopes = new SqliteEnvelopeStore(this.#q);
    this.audit = new SqliteAuditStore(this.#q);
    this.scim = new SqliteScimStore(this.#q);
    this.groups = new SqliteGroupStore(this.#q);
    this.business = new SqliteBusinessStore(this.#q);
    this.attachments = new SqliteAttachmentStore(this.#q, dataDir);
    this.workplace = new SqliteWorkplaceStore(this.#q);
  }

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.#q.transaction(fn);
  }

  async close(): Promise<void> {
    this.#q.close();
  }
}
