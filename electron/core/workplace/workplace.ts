// The workplace rules on this device (issue #14): the person's working hours (kept by the relay, which holds
// messages for people off work) and the messaging policy's consent, recorded on the server — the relay refuses
// sending and fetching until the current version is accepted — and remembered locally.
import type { WorkingHours } from '../../../common/wire/org-rules.ts';
import type * as WP from '../../../common/wire/workplace.ts';
import type { CoreContext } from '../context.ts';

export class Workplace {
  constructor(private readonly ctx: CoreContext) {}

  /** This person's working hours as the server applies them (own or the org's) and whether they are off now. */
  hours(): Promise<WP.WorkingHoursView> { return this.ctx.api.workingHours(); }

  /** Sets own hours (within the org's: the server says why not, 409 outside_org_hours). */
  setHours(hours: WorkingHours): Promise<WP.WorkingHoursView> { return this.ctx.api.setWorkingHours(hours); }

  /** Back to the org's hours. */
  resetHours(): Promise<WP.WorkingHoursView> { return this.ctx.api.resetWorkingHours(); }

  /** Whether the current messaging policy version is accepted on the server (and when, from which device). */
  consent(): Promise<WP.ConsentStatus> { return this.ctx.api.consent(); }

  /** Accepts `version` on the server, then remembers it on this device. */
  async acceptPolicy(version: string): Promise<WP.ConsentStatus> {
    const status = await this.ctx.api.acceptConsent({ version });
    await this.ctx.store.exclusive(async () => this.ctx.store.setMeta('policyAccepted', version));
    return status;
  }

  /** Whether `email` is off work now (the directory's word): until when, in their zone; undefined at work. */
  async availabilityOf(email: string): Promise<WP.Availability | undefined> {
    return (await this.ctx.api.lookup(email)).availability;
  }

  /** Org admins: who accepted which version, when. */
  adminConsent(): Promise<WP.AdminConsentList> { return this.ctx.api.adminConsent(); }
}
