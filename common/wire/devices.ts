// Wire contract of a person's own devices: the list Settings shows, renaming this device, removing another,
// and signing this one out. An admin sees the same names (GET /v1/admin/users), so a name says what kind of
// client runs where ("Parley desktop on LAPTOP-42", "CLI on vm").
import { Type, type Static } from 'typebox';
import { LIMITS } from './schemas.ts';

export const DeviceName = Type.String({ minLength: 1, maxLength: LIMITS.deviceNameChars, pattern: '\\S' });
/** 'Linux', 'macOS', 'Windows', …: what the client said at registration ('' for older devices). */
export const DevicePlatform = Type.String({ maxLength: 32 });

export const OwnDevice = Type.Object({
  deviceId: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  platform: Type.String(),
  state: Type.Union([Type.Literal('active'), Type.Literal('wipe-pending')]),
  createdAt: Type.Integer(),
  lastSeen: Type.Integer(),
  /** The device that asked. */
  current: Type.Boolean(),
});
export type OwnDevice = Static<typeof OwnDevice>;

/** GET /v1/devices: the caller's devices that still work (removed, revoked and wiped ones are left out). */
export const OwnDeviceList = Type.Object({ devices: Type.Array(OwnDevice) });
export type OwnDeviceList = Static<typeof OwnDeviceList>;

/** PATCH /v1/devices/me. */
export const UpdateOwnDeviceRequest = Type.Object({
  name: Type.Optional(DeviceName),
  platform: Type.Optional(DevicePlatform),
}, { additionalProperties: false });
export type UpdateOwnDeviceRequest = Static<typeof UpdateOwnDeviceRequest>;

/** DELETE /v1/devices/:deviceId. */
export const OwnDeviceParams = Type.Object({ deviceId: Type.String({ pattern: '^[1-9][0-9]{0,6}$' }) });

/** DELETE /v1/devices/me and /v1/devices/:deviceId: the audit entry that records it. */
export const DeviceRemoved = Type.Object({ deviceId: Type.Integer(), auditId: Type.Integer() });
export type DeviceRemoved = Static<typeof DeviceRemoved>;
