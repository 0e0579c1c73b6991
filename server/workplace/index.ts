// The relay's side of the workplace rules (issue #14): working hours with held delivery and urgent overrides,
// and consent on record. Route modules (routes/messages.ts, routes/groups.ts, routes/ws.ts,
// routes/working-hours.ts, routes/consent.ts) call it through `ctx.workplace`.
//
// Held delivery, per recipient USER: a copy for someone off work is stored with deliverAfter = the start of their
// next working period and is neither fetched nor pushed before then; the sender's own other devices get theirs
// at once. release.ts moves due copies into the live queue (a timer per node, reading only the shared store).
import type { FastifyBaseLogger } from 'fastify';
import type { MessagingPolicy } from '../../common/wire/schemas.ts';
import type { WorkingHours } from '../../common/wire/org-rules.ts';
import { ApiError } from '../errors.ts';
import type { NewEnvelope, ServerStore, UserRecord } from '../store/types.ts';
import { offUntil } from './hours.ts';

export interface WorkplaceOptions {
  store: ServerStore;
  policy: MessagingPolicy;
  now: () => number;
  log: FastifyBaseLogger;
  /** Until the current policy version is accepted, no sending or fetching of messages (403 consent_required). */
  requireConsent: boolean;
  /** True if this user is an org admin now (urgent: "admins"). */
  isAdmin: (user: UserRecord) => Promise<boolean>;
}

export class Workplace {
  readonly policy: MessagingPolicy;
  readonly requireConsent: boolean;
  /** Users known to have accepted the current version (it cannot change while this process runs). */
  readonly #consented = new Set<string>();

  constructor(private readonly opts: WorkplaceOptions) {
    this.policy = opts.policy;
    this.requireConsent = opts.requireConsent;
  }

  get orgHours(): WorkingHours | undefined {
    return this.policy.rules?.workingHours;
  }

  /** The hours that apply to this person: their own, else the org's; undefined = none (never held). */
  async hoursOf(userId: string): Promise<{ hours: WorkingHours; own: boolean } | undefined> {
    const org = this.orgHours;
    if (!org) return undefined;
    const own = await this.opts.store.workplace.hours(userId);
    return own ? { hours: { timeZone: own.timeZone, days: own.days, start: own.start, end: own.end }, own: true } : { hours: org, own: false };
  }

  /** Off work now: until when, and in which zone; undefined while at work (or when no hours apply). */
  async availability(userId: string, at = this.opts.now()): Promise<{ offUntil: number; timeZone: string } | undefined> {
    const h = await this.hoursOf(userId);
    const until = h && offUntil(h.hours, at);
    return h && until !== undefined ? { offUntil: until, timeZone: h.hours.timeZone } : undefined;
  }

  /**
   * Marks the copies for recipients who are off work as held (deliverAfter), except for the sender's own devices.
   * `urgent`: delivered at once instead if the org allows the sender (else 403 urgent_not_allowed), and every
   * recipient it disturbs is written to the audit log (who, whom, when — never content).
   * Returns the held recipients (userId → delivery time).
   */
  async hold(sender: { userId: string; deviceId: number }, envelopes: NewEnvelope[], urgent: boolean): Promise<Record<string, number>> {
    if (!this.orgHours) return {}; // no working hours in the policy: nobody is off work (hoursOf), so nothing is held
    const at = this.opts.now();
    const off = new Map<string, number>();
    for (const userId of new Set(envelopes.map((e) => e.destUser))) {
      if (userId === sender.userId) continue;
      const a = await this.availability(userId, at);
      if (a) off.set(userId, a.offUntil);
    }
    if (off.size === 0) return {};
    if (urgent) {
      const me = await this.opts.store.users.get(sender.userId);
      const rule = this.policy.rules?.urgent ?? 'everyone';
      const allowed = rule === 'everyone' || (rule === 'admins' && me !== undefined && await this.opts.isAdmin(me));
      if (!allowed) {
        throw new ApiError('urgent_not_allowed', rule === 'nobody'
          ? 'Your organization does not allow urgent messages outside working hours.'
          : 'Only organization administrators may send urgent messages outside working hours.');
      }
      await this.opts.store.transaction(async () => {
        for (const userId of off.keys()) {
          const them = await this.opts.store.users.get(userId);
          await this.opts.store.audit.append({
            at, actor: { userId: sender.userId, email: me?.email ?? '' }, action: 'urgent override',
            target: { kind: 'user', userId, email: them?.email ?? '', deviceId: null },
            reason: '', outcome: 'delivered at once outside working hours', details: { offUntil: off.get(userId)! },
          });
        }
      });
      return {};
    }
    for (const e of envelopes) {
      const until = off.get(e.destUser);
      if (until !== undefined) e.deliverAfter = until;
    }
    return Object.fromEntries(off);
  }

  /** Throws 403 consent_required unless consent is not required or the user accepted the current version. */
  async requireConsentOf(userId: string): Promise<void> {
    if (!this.requireConsent || this.#consented.has(userId)) return;
    if (await this.opts.store.workplace.consent(userId, this.policy.version)) { this.#consented.add(userId); return; }
    throw new ApiError('consent_required', `Accept your organization's messaging policy (version ${this.policy.version}) before sending or receiving messages.`);
  }

  /** Records the acceptance (once per version) with its audit entry; false if it was already on record. */
  async accept(user: UserRecord, deviceId: number, version: string): Promise<boolean> {
    if (version !== this.policy.version) throw new ApiError('policy_changed', `The messaging policy is now version ${this.policy.version}; read it and accept that version.`);
    const at = this.opts.now();
    const added = await this.opts.store.transaction(async () => {
      const fresh = await this.opts.store.workplace.recordConsent({ userId: user.userId, version, acceptedAt: at, deviceId });
      if (fresh) {
        await this.opts.store.audit.append({
          at, actor: { userId: user.userId, email: user.email }, action: 'consent accepted',
          target: { kind: 'policy', id: version, userId: user.userId, email: user.email, deviceId },
          reason: '', outcome: 'accepted', details: { version },
        });
      }
      return fresh;
    });
    this.#consented.add(user.userId);
    return added;
  }
}
