// The organization's side of the business tools: the company profile (the logo re-checked here, whatever the
// server says), the welcome message shown once at a member's first sign-in, and for org admins setting both and
// reading the aggregate statistics (which the server already withholds below its k-anonymity threshold).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import {
  BUSINESS_LIMITS, sniffLogo, textProblem, websiteProblem, type AdminStats, type CompanyProfile, type SetCompanyProfile,
} from '../../../common/wire/business.ts';
import { UsageError, type CoreContext } from '../context.ts';

export interface ProfileInput {
  name: string;
  description?: string;
  website?: string;
  support?: string;
  officeHours?: string;
  /** A PNG or JPEG file to upload; null removes the logo; absent keeps it. */
  logoFile?: string | null;
}

const WELCOME_SEEN = 'business.welcomeSeen';

/** The logo bytes as checked on this device: PNG/JPEG by their own bytes, within the cap, matching the profile's hash. */
export function checkedLogo(profile: CompanyProfile, got: { contentType: string; bytes: Uint8Array }): { contentType: 'image/png' | 'image/jpeg'; bytes: Uint8Array } {
  const refuse = (why: string) => new UsageError(`the company logo was refused on this device: ${why}`);
  if (!profile.logo) throw refuse('the profile names no logo');
  if (got.bytes.length > BUSINESS_LIMITS.logoBytes) throw refuse('it is larger than the size limit');
  const sniffed = sniffLogo(got.bytes);
  if (!sniffed) throw refuse('it is not a PNG or JPEG image');
  if (sniffed !== profile.logo.contentType || got.contentType !== sniffed) throw refuse('its type does not match its bytes');
  if (createHash('sha256').update(got.bytes).digest('hex') !== profile.logo.sha256) throw refuse('it is not the logo the profile names');
  return { contentType: sniffed, bytes: got.bytes };
}

export class Org {
  constructor(private readonly ctx: CoreContext) {}

  async profile(): Promise<CompanyProfile | null> {
    return (await this.ctx.api.companyProfile()).profile;
  }

  /** The profile's logo, or undefined when there is none. */
  async logo(): Promise<{ contentType: 'image/png' | 'image/jpeg'; bytes: Uint8Array } | undefined> {
    const profile = await this.profile();
    if (!profile?.logo) return undefined;
    return checkedLogo(profile, await this.ctx.api.logo());
  }

  /** Org admins: checked here first (the same rules as the server's), so a mistake is a sentence before any upload. */
  async setProfile(input: ProfileInput): Promise<CompanyProfile> {
    const req: SetCompanyProfile = { name: input.name.trim() };
    const fields = [['description', 'The description', BUSINESS_LIMITS.descriptionChars], ['website', 'The website', BUSINESS_LIMITS.websiteChars],
      ['support', 'The support contact', BUSINESS_LIMITS.supportChars], ['officeHours', 'The office hours', BUSINESS_LIMITS.officeHoursChars]] as const;
    const nameProblem = textProblem(req.name, 'The company name', BUSINESS_LIMITS.nameChars);
    if (nameProblem) throw new UsageError(nameProblem);
    if (req.name === '') throw new UsageError('The company name is empty.');
    for (const [key, what, max] of fields) {
      const value = input[key];
      if (value === undefined) continue;
      const problem = textProblem(value.trim(), what, max, { multiline: key === 'description' || key === 'officeHours' });
      if (problem) throw new UsageError(problem);
      req[key] = value.trim();
    }
    if (req.website) {
      const problem = websiteProblem(req.website);
      if (problem) throw new UsageError(problem);
    }
    if (input.logoFile === null) req.logo = null;
    else if (input.logoFile !== undefined) req.logo = readLogoFile(input.logoFile).toString('base64');
    return (await this.ctx.api.setCompanyProfile(req)).profile!;
  }

  async welcome(): Promise<string | null> {
    return (await this.ctx.api.welcome()).text;
  }

  async setWelcome(text: string | null): Promise<string | null> {
    if (text !== null) {
      const problem = textProblem(text.trim(), 'The welcome message', BUSINESS_LIMITS.welcomeChars, { multiline: true });
      if (problem) throw new UsageError(problem);
    }
    return (await this.ctx.api.setWelcome({ text: text === null || text.trim() === '' ? null : text.trim() })).text;
  }

  /**
   * The org's welcome message if this device has not shown it yet (first sign-in), marking it shown; null after.
   * A message set or changed later is shown once more.
   */
  async unseenWelcome(): Promise<string | null> {
    const w = await this.ctx.api.welcome();
    if (w.text === null) return null;
    const { store } = this.ctx;
    const seen = store.getMeta(WELCOME_SEEN);
    if (seen === String(w.updatedAt)) return null;
    await store.exclusive(async () => store.setMeta(WELCOME_SEEN, String(w.updatedAt)));
    return w.text;
  }

  adminStats(days?: number): Promise<AdminStats> {
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > BUSINESS_LIMITS.statsDays)) {
      throw new UsageError(`--days must be a whole number from 1 to ${BUSINESS_LIMITS.statsDays}`);
    }
    return this.ctx.api.adminStats(days);
  }
}

/** Reads and checks a logo file before it is sent: PNG or JPEG by its bytes (an .svg renamed .png is refused), capped. */
export function readLogoFile(path: string): Buffer {
  let size: number;
  try { size = statSync(path).size; } catch { throw new UsageError(`cannot read the logo file ${path}`); }
  if (size > BUSINESS_LIMITS.logoBytes) throw new UsageError(`the logo is larger than ${BUSINESS_LIMITS.logoBytes / 1024} KiB`);
  const bytes = readFileSync(path);
  if (!sniffLogo(bytes)) throw new UsageError('the logo must be a PNG or JPEG image (SVG and other formats are refused)');
  return bytes;
}
