// What an organization admin may do from a signed-in device: list users and devices, wipe or revoke
// devices, read the audit log, see every group and the directory (SCIM) groups. The server checks the role.
import type * as L from '../../../common/wire/lifecycle.ts';
import type { ApiClient } from '../net/api.ts';

export class Admin {
  constructor(private readonly api: ApiClient) {}

  /** Users (all, or the one with this email) with their devices. */
  users(email?: string) { return this.api.adminUsers(email); }
  wipe(req: L.AdminActionRequest) { return this.api.adminWipe(req); }
  revoke(req: L.AdminActionRequest) { return this.api.adminRevoke(req); }
  /** The audit log, newest first. */
  audit(limit?: number) { return this.api.adminAudit(limit); }
  groups() { return this.api.adminGroups(); }
  directoryGroups() { return this.api.adminDirectoryGroups(); }
}
