// Business tools of the client core (issue #15): the facade Messenger exposes as `messenger.business`.
// org.ts (company profile, welcome message, admin statistics), auto-reply.ts (away and greeting messages),
// quick-replies.ts (synced end-to-end encrypted to the user's own devices), stats.ts (the user's own statistics).
import type { CoreContext } from '../context.ts';
import type { ReceiveOptions } from '../incoming/types.ts';
import { AutoReplies, type SendAutomatic } from './auto-reply.ts';
import { Org } from './org.ts';
import { QuickReplies, type DeliverToSelf } from './quick-replies.ts';
import { myStats, type MyStats } from './stats.ts';
import { automaticKinds } from './automatic.ts';
import type { AutomaticKind } from '../../../common/wire/content.ts';

export type { AwaySettings } from './auto-reply.ts';
export type { ProfileInput } from './org.ts';
export type { MyStats } from './stats.ts';
export { checkedLogo, readLogoFile } from './org.ts';

export class Business {
  readonly org: Org;
  readonly autoReplies: AutoReplies;
  readonly quickReplies: QuickReplies;

  constructor(private readonly ctx: CoreContext, deps: { send: SendAutomatic; deliverToSelf: DeliverToSelf }) {
    this.org = new Org(ctx);
    this.autoReplies = new AutoReplies(ctx, deps.send);
    this.quickReplies = new QuickReplies(ctx, deps.deliverToSelf);
  }

  /** Messages this device sent or received as automatic replies (labelled in the UI), by message id. */
  automaticKinds(): Map<string, AutomaticKind> {
    return automaticKinds(this.ctx.store);
  }

  stats(days?: number): MyStats {
    return myStats(this.ctx, days);
  }

  /** The receive handlers with the automatic replies hooked in (they run after the caller's own onMessage). */
  wrap(handlers: ReceiveOptions): ReceiveOptions {
    return {
      ...handlers,
      onMessage: (m) => {
        handlers.onMessage?.(m);
        this.autoReplies.observe(m);
      },
    };
  }
}
