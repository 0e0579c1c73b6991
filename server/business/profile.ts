// The company profile an org admin sets: every text field checked (no markup or script, no controls or bidi
// overrides, length), the website an http(s) address, the logo PNG or JPEG by its own bytes (SVG can carry
// script; a claimed type is never believed) and within the size cap.
import { createHash } from 'node:crypto';
import { BUSINESS_LIMITS, sniffLogo, textProblem, websiteProblem, type SetCompanyProfile } from '../../common/wire/business.ts';
import { ApiError } from '../errors.ts';
import type { CompanyProfileRecord } from '../store/types.ts';

const refuse = (message: string) => new ApiError('invalid_request', message);

function text(raw: string | undefined, what: string, max: number, multiline = false): string {
  const value = (raw ?? '').normalize('NFC').trim();
  const problem = textProblem(value, what, max, { multiline });
  if (problem) throw refuse(problem);
  return value;
}

/** Decodes and checks the logo: undefined = keep, null = remove. */
export function checkLogo(b64: string | null | undefined): CompanyProfileRecord['logo'] | undefined {
  if (b64 === undefined || b64 === null) return b64 as null | undefined;
  const data = new Uint8Array(Buffer.from(b64, 'base64'));
  if (data.length > BUSINESS_LIMITS.logoBytes) throw refuse(`The logo is larger than ${BUSINESS_LIMITS.logoBytes / 1024} KiB.`);
  const type = sniffLogo(data);
  if (!type) throw refuse('The logo must be a PNG or JPEG image (SVG and other formats are refused).');
  return { contentType: type, data, sha256: createHash('sha256').update(data).digest('hex') };
}

export function checkProfile(body: SetCompanyProfile): Omit<CompanyProfileRecord, 'logo' | 'updatedAt' | 'updatedBy'> & { logo: CompanyProfileRecord['logo'] | undefined } {
  const name = text(body.name, 'The company name', BUSINESS_LIMITS.nameChars);
  if (name === '') throw refuse('The company name has no visible character.');
  const website = text(body.website, 'The website', BUSINESS_LIMITS.websiteChars);
  if (website !== '') {
    const problem = websiteProblem(website);
    if (problem) throw refuse(problem);
  }
  return {
    name,
    description: text(body.description, 'The description', BUSINESS_LIMITS.descriptionChars, true),
    website,
    support: text(body.support, 'The support contact', BUSINESS_LIMITS.supportChars),
    officeHours: text(body.officeHours, 'The office hours', BUSINESS_LIMITS.officeHoursChars, true),
    logo: checkLogo(body.logo),
  };
}

/** The welcome message or away text: trimmed, checked like profile text; '' becomes null. */
export function checkMessage(raw: string | null, what: string, max: number): string | null {
  if (raw === null) return null;
  const value = text(raw, what, max, true);
  return value === '' ? null : value;
}
