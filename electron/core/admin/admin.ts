// What an organization admin may do from a signed-in device: list users and devices, wipe or revoke
// devices, read the audit log, see every group and the directory (SCIM) groups. The server checks the role.
import type * as L from '../../../common/wire/lifecycle.ts';
import type { ApiClient } from '../net/api.ts';

/** The server's largest audit page. */
const AUDIT_PAGE = 1000;

export class Admin {
  constructor(private readonly api: ApiClient) {}

  /** Users (all, or the one with this email) with their devices. */
  users(email?: string) { return this.api.adminUsers(email); }
  wipe(req: L.AdminActionRequest) { return this.api.adminWipe(req); }
  revoke(req: L.AdminActionRequest) { return this.api.adminRevoke(req); }
  /** The audit log, newest first: the latest `limit` entries. */
  audit(limit?: number) { return this.api.adminAudit(limit); }

  /** Every entry at or after `since` (ms; all if absent), newest first, fetched a page at a time. */
  async auditAll(opts: { since?: number } = {}): Promise<L.AuditEntry[]> {
    const all: L.AuditEntry[] = [];
    for (let before: number | undefined; ;) {
      const { entries } = await this.api.adminAudit(AUDIT_PAGE, { ...opts, ...(before !== undefined ? { before } : {}) });
      all.push(...entries);
      if (entries.length < AUDIT_PAGE) return all;
      before = entries[entries.length - 1]!.id;
    }
  }
  groups() { return this.api.adminGroups(); }
  directoryGroups() { return this.api.adminDirectoryGroups(); }
}
