// Policy changes in the audit trail. The messaging policy and the workplace rules (working hours, urgent,
// retention, read receipts, notification content) come from the policy file the server starts with, and its
// version is a hash of the whole file: so a change is a start with a new version. Each start records the version
// in force when it differs from the last one recorded (the first start included), actor "system".
import type { MessagingPolicy } from '../common/wire/schemas.ts';
import type { ServerStore } from './store/types.ts';

export async function auditPolicyInForce(store: ServerStore, policy: MessagingPolicy, now: number): Promise<void> {
  // One transaction: nodes of a cluster starting together record a new version once.
  await store.transaction(async () => {
    const last = await store.audit.latest('policy changed');
    if (last?.target.id === policy.version) return;
    await store.audit.append({
      at: now, actor: { userId: null, email: 'system' }, action: 'policy changed',
      target: { kind: 'policy', id: policy.version, userId: '', email: '', deviceId: null },
      reason: 'the server started with this policy', outcome: last ? `replaces version ${last.target.id}` : 'the first policy recorded',
      details: {
        previous: last?.target.id ?? null,
        retentionDays: policy.rules?.retention?.messagesDays ?? null,
        rules: policy.rules === undefined ? null : JSON.stringify(policy.rules),
      },
    });
  });
}
