// The organization's workplace rules, set by admins in the server's policy file (`--policy-file`, JSON form:
// `{ "text": "…", "rules": { … } }`; a plain-text file still works and sets no rules) and served with the
// messaging policy at GET /v1/policy. Clients apply them; the relay enforces what it can (held delivery,
// urgent overrides, retention of what it stores). Every field is optional: absent means the default noted.
import { Type, type Static } from 'typebox';

const HhMm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
// Spelled out: a mapped list of literals would make the static type `never`.
export const Weekday = Type.Union([
  Type.Literal('mon'), Type.Literal('tue'), Type.Literal('wed'), Type.Literal('thu'), Type.Literal('fri'), Type.Literal('sat'), Type.Literal('sun'),
]);
export type Weekday = Static<typeof Weekday>;

export const WorkingHours = Type.Object({
  /** IANA zone, e.g. "Europe/Berlin". */
  timeZone: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+/-]+$' }),
  days: Type.Array(Weekday, { minItems: 1, maxItems: 7, uniqueItems: true }),
  start: HhMm,
  end: HhMm,
}, { additionalProperties: false });
export type WorkingHours = Static<typeof WorkingHours>;

export const OrgRules = Type.Object({
  /** Org default working hours; absent = no held delivery (messages always arrive at once). */
  workingHours: Type.Optional(WorkingHours),
  /** Who may send "urgent" past someone's working hours (default "everyone"; each override is audited). */
  urgent: Type.Optional(Type.Union([Type.Literal('everyone'), Type.Literal('admins'), Type.Literal('nobody')])),
  retention: Type.Optional(Type.Object({
    /** Messages older than this are deleted on every client and queued envelopes/blobs on the server. */
    messagesDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
    /** The longest disappearing-messages timer a conversation may set; absent = no maximum. */
    maxDisappearingSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 * 24 * 3600 })),
  }, { additionalProperties: false })),
  /** "off" forces read receipts off for everyone; "user" (default) leaves it to each user's setting. */
  readReceipts: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('off')])),
  /** What a desktop notification may show (default "full"). */
  notificationContent: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('sender'), Type.Literal('none')])),
}, { additionalProperties: false });
export type OrgRules = Static<typeof OrgRules>;
