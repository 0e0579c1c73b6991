// Whether this user sends read receipts: their own setting (on unless turned off) and the organization's
// rules (GET /v1/policy `rules.readReceipts: 'off'` forces them off for everyone). The rules are asked
// afresh when needed and kept, so an unreachable server still applies the last known rule.
import type { OrgRules } from '../../../common/wire/org-rules.ts';
import type { CoreContext } from '../context.ts';

const SETTING = 'readReceipts';
const RULES = 'orgRules';

export interface ReadReceiptState {
  /** The user's own choice. */
  setting: boolean;
  /** The organization turned them off for everyone (last known rule). */
  forcedOff: boolean;
  /** What happens: receipts are sent. */
  effective: boolean;
}

export class ReadPolicy {
  constructor(private readonly ctx: CoreContext) {}

  setting(): boolean {
    return this.ctx.store.getMeta(SETTING) !== '0';
  }

  async set(on: boolean): Promise<void> {
    await this.ctx.store.exclusive(async () => this.ctx.store.setMeta(SETTING, on ? '1' : '0'));
  }

  /** The organization's rules: fetched now, else the last ones fetched. */
  async rules(): Promise<OrgRules> {
    try {
      const rules = (await this.ctx.api.policy()).rules ?? {};
      await this.ctx.store.exclusive(async () => this.ctx.store.setJson(RULES, rules));
      return rules;
    } catch {
      return this.ctx.store.getJson<OrgRules>(RULES) ?? {};
    }
  }

  async state(): Promise<ReadReceiptState> {
    const setting = this.setting();
    const forcedOff = (await this.rules()).readReceipts === 'off';
    return { setting, forcedOff, effective: setting && !forcedOff };
  }

  async allowed(): Promise<boolean> {
    if (!this.setting()) return false;
    return (await this.rules()).readReceipts !== 'off';
  }
}
