// Per-profile choices kept in the store: which version of the organization's messaging policy this user
// accepted, and the app's settings (stored as given; their shape belongs to the app).
import type { CoreContext } from '../context.ts';

export class Preferences {
  constructor(private readonly ctx: CoreContext) {}

  /** The organization's current messaging policy (the server's word). */
  fetchPolicy() {
    return this.ctx.api.policy();
  }

  acceptedPolicy(): string | undefined {
    return this.ctx.store.getMeta('policyAccepted');
  }

  async acceptPolicy(version: string): Promise<void> {
    await this.ctx.store.exclusive(async () => this.ctx.store.setMeta('policyAccepted', version));
  }

  settings<T>(): T | undefined {
    return this.ctx.store.getJson<T>('settings');
  }

  async saveSettings(settings: unknown): Promise<void> {
    await this.ctx.store.exclusive(async () => this.ctx.store.setJson('settings', settings));
  }
}
