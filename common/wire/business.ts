// Business tools on the wire (issue #15): the company profile and logo, the org welcome message, a user's
// published away status, and the org admins' aggregate statistics. Everything personal that the tools need —
// quick replies, greetings, automatic replies, one's own message statistics — stays on the devices or travels
// end-to-end encrypted (common/wire/content.ts); the server sees only what is here.
import { Type, type Static } from 'typebox';
import { Base64, UserId } from './schemas.ts';
import type { WorkingHours } from './org-rules.ts';

export const BUSINESS_LIMITS = {
  /** Logo bytes (PNG or JPEG), checked by the server on upload and by every client again before showing it. */
  logoBytes: 256 * 1024,
  nameChars: 100,
  descriptionChars: 2000,
  websiteChars: 300,
  supportChars: 200,
  officeHoursChars: 300,
  welcomeChars: 2000,
  awayChars: 500,
  statsDays: 366,
} as const;

export const LOGO_TYPES = ['image/png', 'image/jpeg'] as const;
export type LogoType = typeof LOGO_TYPES[number];

/**
 * The logo's type from its first bytes (never from a name or a claimed type): PNG's 8-byte signature or JPEG's
 * SOI + marker. SVG (which can carry script), GIF, WebP, HTML … are undefined.
 */
export function sniffLogo(bytes: Uint8Array): LogoType | undefined {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length > png.length && png.every((b, i) => bytes[i] === b)) return 'image/png';
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return undefined;
}

/**
 * Why a text the org shows to everyone is refused, or undefined: markup (`<…>`, so a profile can never smuggle
 * script into a page that forgets to escape), controls other than line breaks, bidi overrides.
 */
export function textProblem(text: string, what: string, maxChars: number, opts: { multiline?: boolean } = {}): string | undefined {
  if (text.length > maxChars) return `${what} is longer than ${maxChars} characters.`;
  if (/[<>]/.test(text)) return `${what} may not contain < or > (no markup or script).`;
  const controls = opts.multiline ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u : /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
  if (controls.test(text)) return `${what} contains a control or bidirectional-override character.`;
  return undefined;
}

/** An https:// (or http://) address, nothing else (no javascript:, data:, file:). */
export function websiteProblem(url: string): string | undefined {
  let u: URL;
  try { u = new URL(url); } catch { return 'The website must be a full address such as https://example.com.'; }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'The website must start with https:// or http://.';
  if (u.username || u.password) return 'The website may not contain a user name or password.';
  return undefined;
}

// ---- company profile ----

export const CompanyProfile = Type.Object({
  name: Type.String({ minLength: 1, maxLength: BUSINESS_LIMITS.nameChars }),
  description: Type.String({ maxLength: BUSINESS_LIMITS.descriptionChars }),
  website: Type.String({ maxLength: BUSINESS_LIMITS.websiteChars }),
  support: Type.String({ maxLength: BUSINESS_LIMITS.supportChars }),
  officeHours: Type.String({ maxLength: BUSINESS_LIMITS.officeHoursChars }),
  /** GET /v1/org/logo serves it; absent = no logo. */
  logo: Type.Optional(Type.Object({
    contentType: Type.Union([Type.Literal('image/png'), Type.Literal('image/jpeg')]),
    bytes: Type.Integer({ minimum: 1, maximum: BUSINESS_LIMITS.logoBytes }),
    /** sha256 hex of the bytes: the client checks what GET /v1/org/logo gave against it (and caches by it). */
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  }, { additionalProperties: false })),
  updatedAt: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
export type CompanyProfile = Static<typeof CompanyProfile>;

/** GET /v1/org/profile: null until an admin sets one. */
export const CompanyProfileResponse = Type.Object({ profile: Type.Union([CompanyProfile, Type.Null()]) }, { additionalProperties: false });
export type CompanyProfileResponse = Static<typeof CompanyProfileResponse>;

/** PUT /v1/admin/org/profile. Text fields are checked by textProblem/websiteProblem; `logo`: absent = keep, null = remove. */
export const SetCompanyProfile = Type.Object({
  name: Type.String({ minLength: 1, maxLength: BUSINESS_LIMITS.nameChars }),
  description: Type.Optional(Type.String({ maxLength: BUSINESS_LIMITS.descriptionChars })),
  website: Type.Optional(Type.String({ maxLength: BUSINESS_LIMITS.websiteChars })),
  support: Type.Optional(Type.String({ maxLength: BUSINESS_LIMITS.supportChars })),
  officeHours: Type.Optional(Type.String({ maxLength: BUSINESS_LIMITS.officeHoursChars })),
  /** Base64 of the image file; its type is sniffed from the bytes. */
  logo: Type.Optional(Type.Union([Base64(Math.ceil(BUSINESS_LIMITS.logoBytes / 3) * 4 + 8), Type.Null()])),
}, { additionalProperties: false });
export type SetCompanyProfile = Static<typeof SetCompanyProfile>;

// ---- welcome message ----

/** GET /v1/org/welcome (every member) and PUT /v1/admin/org/welcome (null clears it). */
export const WelcomeMessage = Type.Object({
  text: Type.Union([Type.String({ minLength: 1, maxLength: BUSINESS_LIMITS.welcomeChars }), Type.Null()]),
  updatedAt: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
export type WelcomeMessage = Static<typeof WelcomeMessage>;
export const SetWelcomeMessage = Type.Object({
  text: Type.Union([Type.String({ minLength: 1, maxLength: BUSINESS_LIMITS.welcomeChars }), Type.Null()]),
}, { additionalProperties: false });
export type SetWelcomeMessage = Static<typeof SetWelcomeMessage>;

// ---- away status (published only when the user chooses to) ----

export const AwayStatus = Type.Object({
  text: Type.String({ minLength: 1, maxLength: BUSINESS_LIMITS.awayChars }),
  /** Away until this time (ms); absent = until switched off. */
  until: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Away only outside the organization's working hours (rules.workingHours of GET /v1/policy). */
  outsideWorkingHours: Type.Boolean(),
}, { additionalProperties: false });
export type AwayStatus = Static<typeof AwayStatus>;

/** GET /v1/users/:userId/away: null when the user published nothing or the period is over. */
export const AwayLookup = Type.Object({ away: Type.Union([AwayStatus, Type.Null()]) }, { additionalProperties: false });
export type AwayLookup = Static<typeof AwayLookup>;
export const AwayParams = Type.Object({ userId: UserId }, { additionalProperties: false });

/**
 * Whether an away status applies at `now`: not past `until`, and — with outsideWorkingHours — only outside the
 * org's working hours (no working hours configured: never "outside").
 */
export function awayApplies(away: AwayStatus, now: number, hours: WorkingHours | undefined): boolean {
  if (away.until !== undefined && now >= away.until) return false;
  if (!away.outsideWorkingHours) return true;
  return hours !== undefined && !withinWorkingHours(hours, now);
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Whether `now` falls in the working hours, in their time zone (an unknown zone counts as UTC). */
export function withinWorkingHours(hours: WorkingHours, now: number): boolean {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: hours.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  } catch {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  }
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').slice(0, 3).toLowerCase();
  const minutes = Number(get('hour')) * 60 + Number(get('minute'));
  const [sh, sm] = hours.start.split(':').map(Number) as [number, number];
  const [eh, em] = hours.end.split(':').map(Number) as [number, number];
  const start = sh * 60 + sm;
  const end = eh * 60 + em;
  if (!WEEKDAYS.includes(day as typeof WEEKDAYS[number]) || !(hours.days as string[]).includes(day)) return false;
  return start <= end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

// ---- aggregate statistics (org admins) ----

/** One UTC day. A figure below the k-anonymity threshold is null ("fewer than k"), never the number. */
export const DailyStats = Type.Object({
  day: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }),
  messagesRelayed: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  activeDevices: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  activeUsers: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  groups: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
}, { additionalProperties: false });
export type DailyStats = Static<typeof DailyStats>;

export const AdminStatsQuery = Type.Object({
  days: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
}, { additionalProperties: false });
export const AdminStats = Type.Object({
  /** The k-anonymity threshold: figures below it are null. */
  k: Type.Integer({ minimum: 1 }),
  /** Oldest first, one entry per day up to today (UTC). */
  days: Type.Array(DailyStats),
}, { additionalProperties: false });
export type AdminStats = Static<typeof AdminStats>;
