// Wire contract of the workplace rules' per-person parts (issue #14): working hours and consent on record.
//   GET    /v1/me/working-hours  → WorkingHoursView        PUT /v1/me/working-hours (SetWorkingHoursRequest) → WorkingHoursView
//   DELETE /v1/me/working-hours  → WorkingHoursView (back to the org's)
//   GET    /v1/consent           → ConsentStatus            POST /v1/consent (AcceptConsentRequest) → ConsentStatus
//   GET    /v1/admin/consent     → AdminConsentList (org admins)
import { Type, type Static } from 'typebox';
import { WorkingHours } from './org-rules.ts';

export { WorkingHours };

export const WorkingHoursView = Type.Object({
  /** What applies to this person now: their own hours, else the org's; null = the org sets none (no held delivery). */
  effective: Type.Union([WorkingHours, Type.Null()]),
  /** 'own' = set by the person, 'org' = the org default, 'none' = no working hours apply. */
  source: Type.Union([Type.Literal('own'), Type.Literal('org'), Type.Literal('none')]),
  /** The org's default hours (the bounds a person's own hours must stay within). */
  org: Type.Union([WorkingHours, Type.Null()]),
  /** Milliseconds: off work until then (messages to them are held until then); absent while at work. */
  offUntil: Type.Optional(Type.Integer()),
});
export type WorkingHoursView = Static<typeof WorkingHoursView>;

export const SetWorkingHoursRequest = WorkingHours;
export type SetWorkingHoursRequest = WorkingHours;

/** Shown with a directory entry (DirectoryEntry.availability) while the person is off work. */
export const Availability = Type.Object({
  /** Milliseconds: when their next working period begins; a message sent now is delivered then. */
  offUntil: Type.Integer(),
  /** The zone their hours are kept in, to show the time as they would read it. */
  timeZone: Type.String(),
});
export type Availability = Static<typeof Availability>;

export const ConsentStatus = Type.Object({
  /** The current messaging policy's version. */
  version: Type.String(),
  accepted: Type.Boolean(),
  /** When and from which device the current version was accepted. */
  acceptedAt: Type.Optional(Type.Integer()),
  deviceId: Type.Optional(Type.Integer()),
  /** False when the server does not require consent before messaging (no --policy-file). */
  required: Type.Boolean(),
});
export type ConsentStatus = Static<typeof ConsentStatus>;

export const AcceptConsentRequest = Type.Object({
  /** The version the person read; a stale one is refused (409 policy_changed). */
  version: Type.String({ minLength: 1, maxLength: 64 }),
}, { additionalProperties: false });
export type AcceptConsentRequest = Static<typeof AcceptConsentRequest>;

export const AdminConsentEntry = Type.Object({
  userId: Type.String(),
  email: Type.String(),
  name: Type.String(),
  /** The newest version this person accepted, null if none. */
  version: Type.Union([Type.String(), Type.Null()]),
  acceptedAt: Type.Union([Type.Integer(), Type.Null()]),
  deviceId: Type.Union([Type.Integer(), Type.Null()]),
  /** They accepted the current version. */
  current: Type.Boolean(),
});
export type AdminConsentEntry = Static<typeof AdminConsentEntry>;

export const AdminConsentList = Type.Object({
  version: Type.String(),
  users: Type.Array(AdminConsentEntry),
});
export type AdminConsentList = Static<typeof AdminConsentList>;
