// Handlers for the admin console (org admins; the server checks the role and answers 403 otherwise).
import { auditTarget } from '../../core/admin/audit-view.ts';
import type { Input } from '../../../common/app-api/contract.ts';
import { UsageError } from '../../core/messenger.ts';
import type { AppHost, Handlers } from '../host.ts';

type AdminMethods = 'admin.users' | 'admin.wipe' | 'admin.revoke' | 'admin.audit' | 'admin.groups' | 'admin.directoryGroups';

export function adminHandlers(host: AppHost): Pick<Handlers, AdminMethods> {
  const adminAction = async (kind: 'wipe' | 'revoke', input: Input<'admin.wipe'>) => {
    const m = host.requireReady();
    if ((input.email === undefined) === (input.device === undefined)) throw new UsageError('choose either a user (email) or one device');
    const target = input.device
      ? { userId: input.device.split('.')[0]!, deviceId: Number(input.device.split('.')[1]) }
      : { email: input.email! };
    const req = { ...target, reason: input.reason };
    return host.guard(() => (kind === 'wipe' ? m.admin.wipe(req) : m.admin.revoke(req)));
  };
  return {
    'admin.users': async () => {
      const m = host.requireReady();
      const { users } = await host.guard(() => m.admin.users());
      return users;
    },
    'admin.wipe': async (input) => ({ devices: (await adminAction('wipe', input)).devices.length }),
    'admin.revoke': async (input) => ({ devices: (await adminAction('revoke', input)).devices.length }),
    'admin.audit': async () => {
      const m = host.requireReady();
      const { entries } = await host.guard(() => m.admin.audit(500));
      return entries.map((e) => ({
        id: e.id, at: e.at, actor: e.actor.email, action: e.action, target: auditTarget(e), reason: e.reason, outcome: e.outcome,
        details: Object.entries(e.details ?? {}).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('; '),
      }));
    },
    'admin.groups': async () => {
      const m = host.requireReady();
      const { groups } = await host.guard(() => m.admin.groups());
      return groups.map((g) => ({
        id: g.id, name: g.name, announcement: g.announcement, confidential: g.confidential,
        ...(g.scimGroupId !== undefined ? { scimGroupId: g.scimGroupId } : {}), role: g.role, memberCount: g.memberCount,
      }));
    },
    'admin.directoryGroups': async () => {
      const m = host.requireReady();
      const { groups } = await host.guard(() => m.admin.directoryGroups());
      return groups.map((g) => ({ id: g.id, displayName: g.displayName, memberCount: g.memberCount }));
    },
  };
}
