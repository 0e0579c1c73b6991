// The server keeps an event log per group (created, added, removed, …). We fetch it page by page and turn
// each event into a system message in the group's chat, once (the message id is the event's seq).
import type * as G from '../../../common/wire/groups.ts';
import { ErrorCode } from '../../../common/errors.ts';
import { ApiError } from '../net/api.ts';
import type { Contacts } from '../directory/contacts.ts';
import { groupEventText, type GroupEventNames } from './group-events.ts';
import type { GroupViews } from './group-views.ts';
import { FETCH_PARALLEL, inParallel, type CoreContext } from '../context.ts';

export class GroupSync {
  /** Groups a received message named that could not be synced then (see incoming/envelopes.ts). */
  private readonly pending = new Set<string>();

  constructor(private readonly ctx: CoreContext, private readonly contacts: Contacts, private readonly views: GroupViews) {}

  markPending(groupId: string): void {
    this.pending.add(groupId);
  }

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Fetches new group events (all groups, or one) and turns them into system messages in the group's chat. */
  async sync(groupId?: string): Promise<number> {
    let ids: string[];
    if (groupId) ids = [groupId];
    else {
      const current = await this.views.list();
      // Groups we have a chat for but are no longer listed in: we were removed (or the account was).
      const former = this.ctx.store.listConversations().filter((c) => c.kind === 'group' && !current.some((g) => g.id === c.id)).map((c) => c.id);
      ids = [...current.map((g) => g.id), ...former];
    }
    let added = 0;
    for (const id of ids) added += await this.syncOne(id);
    this.pending.clear();
    return added;
  }

  /** One group's new events; a group we were removed from gets one "no longer a member" message. */
  async syncOne(id: string): Promise<number> {
    const { store, api } = this.ctx;
    let after = Number(store.getMeta(`groupEventsAfter:${id}`) ?? '0');
    let added = 0;
    for (;;) {
      let page: G.GroupEvents;
      try {
        page = await api.groupEvents(id, after);
      } catch (err) {
        if (err instanceof ApiError && (err.code === ErrorCode.not_a_member || err.code === ErrorCode.unknown_group)) {
          const conv = store.getConversation(id);
          if (conv && store.getMeta(`groupGone:${id}`) !== String(after)) {
            await store.exclusive(async () => {
              this.addSystemMessage(id, `${id}.gone.${after}`, 'You are no longer a member of this group.', this.ctx.now());
              store.setMeta(`groupGone:${id}`, String(after));
            });
            added++;
          }
          return added;
        }
        throw err;
      }
      const names = await this.namesFor(page.events);
      const conv = store.getConversation(id);
      const name = !conv || conv.title === 'New group' ? (await api.group(id).catch(() => undefined))?.name : undefined;
      await store.exclusive(async () => {
        if (name) this.views.ensureConversation(id, name);
        for (const e of page.events) {
          if (this.addSystemMessage(id, `${id}.${e.seq}`, groupEventText(e, names), e.at)) added++;
        }
        store.setMeta(`groupEventsAfter:${id}`, String(page.next));
      });
      after = page.next;
      if (!page.more) return added;
    }
  }

  private async namesFor(events: G.GroupEvent[]): Promise<GroupEventNames> {
    const { store, account } = this.ctx;
    const ids = new Set<string>();
    for (const e of events) {
      if (e.actor !== 'scim') ids.add(e.actor);
      if (e.subject) ids.add(e.subject);
    }
    ids.delete(account.userId);
    await inParallel([...ids].filter((u) => !store.getContact(u)), FETCH_PARALLEL, async (u) => { await this.contacts.forUser(u).catch(() => undefined); });
    return { me: account.userId, nameOf: (u) => store.getContact(u)?.name ?? 'A former member' };
  }

  private addSystemMessage(groupId: string, id: string, text: string, at: number): boolean {
    const { store } = this.ctx;
    if (!store.getConversation(groupId)) store.ensureConversation({ id: groupId, kind: 'group', peerUserId: null, title: 'New group' }, at);
    return store.addMessage({
      id, conversationId: groupId, senderUserId: 'system', senderDeviceId: 0, direction: 'system', body: text,
      sentAt: at, receivedAt: this.ctx.now(), status: 'system',
    });
  }
}
