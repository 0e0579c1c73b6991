// Wire contract of the device lifecycle: remote wipe, revocation, offline leases, and the admin API.
// Status checks and wipe receipts are signed with the device's lifecycle key (Ed25519), which the client
// keeps in its vault apart from the store key: it must still work before the store is unlocked and after
// the store was crypto-shredded.
import { Type, type Static } from 'typebox';
import { Base64, DeviceId, UserId } from './schemas.ts';

/** 64-byte Ed25519 signature, standard base64. */
const Ed25519Signature = Base64(88);

/** What each signature covers: fixed prefixes keep one kind of signature from passing as another. */
export const signedText = {
  status: (userId: string, deviceId: number, timestamp: number) => `parley-status\n${userId}\n${deviceId}\n${timestamp}`,
  lease: (userId: string, deviceId: number, issuedAt: number, lockAfter: number, wipeAfter: number | null) =>
    `parley-lease\n${userId}\n${deviceId}\n${issuedAt}\n${lockAfter}\n${wipeAfter ?? ''}`,
  receipt: (userId: string, deviceId: number, wipedAt: number, steps: string[]) =>
    `parley-wipe-receipt\n${userId}\n${deviceId}\n${wipedAt}\n${steps.join(',')}`,
};

const OfflinePolicy = Type.Object({
  offlineLockHours: Type.Integer({ minimum: 1, maximum: 24 * 365 }),
  /** null: devices that stay offline are locked, never wiped. */
  offlineWipeDays: Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()]),
});

/** A server-signed promise: this device may open its store until lockAfter (and must wipe after wipeAfter). */
export const Lease = Type.Object({
  issuedAt: Type.Integer(),
  lockAfter: Type.Integer(),
  wipeAfter: Type.Union([Type.Integer(), Type.Null()]),
  signature: Ed25519Signature,
});
export type Lease = Static<typeof Lease>;

export const DeviceStatusRequest = Type.Object({
  userId: UserId,
  deviceId: DeviceId,
  /** Client clock, ms; the server accepts ±5 minutes. */
  timestamp: Type.Integer({ minimum: 0 }),
  signature: Ed25519Signature,
}, { additionalProperties: false });
export type DeviceStatusRequest = Static<typeof DeviceStatusRequest>;

const LifecycleStatus = Type.Union([Type.Literal('active'), Type.Literal('wipe'), Type.Literal('revoked')]);

export const DeviceStatusResponse = Type.Object({
  status: LifecycleStatus,
  organization: Type.String(),
  serverTime: Type.Integer(),
  /** Present with status 'wipe'. */
  wipe: Type.Optional(Type.Object({ requestedAt: Type.Integer(), reason: Type.String() })),
  /** Present with status 'active'. */
  lease: Type.Optional(Lease),
});
export type DeviceStatusResponse = Static<typeof DeviceStatusResponse>;

export const WipeReceipt = Type.Object({
  userId: UserId,
  deviceId: DeviceId,
  wipedAt: Type.Integer({ minimum: 0 }),
  /** The wipe steps the device completed, in order (e.g. 'key-destroyed', 'store-deleted', …). */
  steps: Type.Array(Type.String({ pattern: '^[a-z-]{1,40}$' }), { minItems: 1, maxItems: 20 }),
  signature: Ed25519Signature,
}, { additionalProperties: false });
export type WipeReceipt = Static<typeof WipeReceipt>;

/** The receipt was accepted (also when it repeats one already accepted). */
export const WipeReceiptResponse = Type.Object({ confirmed: Type.Literal(true) });
export type WipeReceiptResponse = Static<typeof WipeReceiptResponse>;

// ---- admin API (org admins only: the IdP groups claim contains the admin group) ----

export const DeviceState = Type.Union([Type.Literal('active'), Type.Literal('wipe-pending'), Type.Literal('wiped'), Type.Literal('revoked')]);

export const AdminDevice = Type.Object({
  /** `<userId>.<deviceId>`: what `parley admin wipe --device` takes. */
  id: Type.String(),
  deviceId: DeviceId,
  name: Type.String(),
  state: DeviceState,
  createdAt: Type.Integer(),
  lastSeen: Type.Integer(),
});
export type AdminDevice = Static<typeof AdminDevice>;

/**
 * How the user came to be: 'provisioned' (written by the company directory through SCIM), 'just-in-time' (signed
 * in without being provisioned), 'deactivated' (SCIM set active=false or deleted them).
 */
export const ProvisioningState = Type.Union([Type.Literal('provisioned'), Type.Literal('just-in-time'), Type.Literal('deactivated')]);
export type ProvisioningState = Static<typeof ProvisioningState>;

export const AdminUser = Type.Object({
  userId: UserId,
  email: Type.String(),
  name: Type.String(),
  orgAdmin: Type.Boolean(),
  devices: Type.Array(AdminDevice),
  provisioning: ProvisioningState,
});
export type AdminUser = Static<typeof AdminUser>;

export const AdminUsersQuery = Type.Object({ email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })) }, { additionalProperties: false });
export const AdminUsersResponse = Type.Object({ users: Type.Array(AdminUser) });
export type AdminUsersResponse = Static<typeof AdminUsersResponse>;

/** Exactly one target: every device of a user (by email or userId), or one device. */
export const AdminActionRequest = Type.Object({
  email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
  userId: Type.Optional(UserId),
  deviceId: Type.Optional(DeviceId),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });
export type AdminActionRequest = Static<typeof AdminActionRequest>;

export const AdminActionResponse = Type.Object({
  devices: Type.Array(Type.Object({ userId: UserId, deviceId: DeviceId })),
  auditId: Type.Integer(),
});
export type AdminActionResponse = Static<typeof AdminActionResponse>;

const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.Integer(),
  /** A person, or userId null and email "scim" (the provisioning client) or "system". */
  actor: Type.Object({ userId: Type.Union([UserId, Type.Null()]), email: Type.String() }),
  /** 'wipe requested', 'device registered', 'scim user created', 'group member added', 'policy changed', … (server/store/audit.ts AuditAction). */
  action: Type.String({ maxLength: 64 }),
  /** A person or device (no kind), or a group / SCIM resource / policy version by kind and id. */
  target: Type.Object({
    kind: Type.Optional(Type.String({ maxLength: 32 })),
    id: Type.Optional(Type.String({ maxLength: 200 })),
    userId: Type.String(), email: Type.String(), deviceId: Type.Union([DeviceId, Type.Null()]),
  }),
  reason: Type.String(),
  outcome: Type.String(),
  /** Extra facts (a flat object of short values); never message content. */
  details: Type.Optional(Type.Record(Type.String(), Type.Union([
    Type.String(), Type.Number(), Type.Boolean(), Type.Null(), Type.Array(Type.String()),
  ]))),
  /** sha256 over the previous entry's hash and this entry: the log is append-only and tamper-evident. */
  hash: Type.String(),
});
export type AuditEntry = Static<typeof AuditEntry>;

/** limit: newest first, up to 1000; since: ms epoch, entries at or after; before: entry id, entries older (paging). */
export const AuditQuery = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
  since: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$' })),
}, { additionalProperties: false });
export const AuditResponse = Type.Object({ entries: Type.Array(AuditEntry) });
export type AuditResponse = Static<typeof AuditResponse>;
