// Groups as this user sees them: finding a group by id or name, its members resolved to names, and the
// group's chat in the store (a group's id is also its conversation id).
import type * as G from '../../../common/wire/groups.ts';
import { ErrorCode } from '../../../common/errors.ts';
import { ApiError } from '../net/api.ts';
import type { Contacts } from '../directory/contacts.ts';
import { FETCH_PARALLEL, inParallel, PermissionError, UsageError, type CoreContext } from '../context.ts';

export interface GroupMemberView {
  userId: string;
  email: string;
  name: string;
  role: G.GroupRole;
  viaScim: boolean;
  you: boolean;
}

/** A group as this user may see it, members resolved to names (confidential: plain members see the admins). */
export interface GroupView extends Omit<G.GroupInfo, 'members'> {
  members: GroupMemberView[];
}

/** The server's refusals that mean "no such group (for you)", in the words the CLI prints. */
export function groupError(err: unknown): unknown {
  if (err instanceof ApiError && err.code === ErrorCode.unknown_group) return new UsageError('no such group');
  if (err instanceof ApiError && err.code === ErrorCode.not_a_member) return new PermissionError('you are not a member of this group');
  return err;
}

export class GroupViews {
  constructor(private readonly ctx: CoreContext, private readonly contacts: Contacts) {}

  /** This user's groups (org admins: the groups they are a member of; see admin views for the rest). */
  async list(): Promise<G.GroupSummary[]> {
    const { groups } = await this.ctx.api.groups();
    await this.ctx.store.exclusive(async () => {
      for (const g of groups) this.ensureConversation(g.id, g.name);
    });
    return groups;
  }

  /**
   * The id of a group given by id (`g_…`, taken as is: the server answers for it) or by its exact name
   * (case-insensitive) among this user's groups (one lookup).
   */
  async idOf(ref: string): Promise<string> {
    const trimmed = ref.trim();
    if (trimmed.length === 0) throw new UsageError('no group given');
    if (/^g_[A-Za-z0-9_-]{22}$/.test(trimmed)) return trimmed;
    const groups = await this.list();
    const named = groups.filter((g) => g.name.toLowerCase() === trimmed.toLowerCase());
    if (named.length === 1) return named[0]!.id;
    if (named.length === 0) throw new UsageError(`you are in no group named "${trimmed}" (see parley groups list)`);
    throw new UsageError(`${named.length} of your groups are named "${trimmed}"; use the id instead: ${named.map((g) => g.id).join(', ')}`);
  }

  /** Creates the group's chat or renames it; call inside a store transaction. */
  ensureConversation(id: string, name: string): void {
    const { store } = this.ctx;
    const existing = store.getConversation(id);
    if (!existing || existing.title !== name) {
      store.ensureConversation({ id, kind: 'group', peerUserId: null, title: name }, existing?.lastMessageAt ?? this.ctx.now());
    }
  }

  /** The group with its members (as far as this user may see them) resolved to names and emails. */
  async info(ref: string): Promise<GroupView> {
    return this.viewOf(await this.fetch(ref));
  }

  async fetch(ref: string): Promise<G.GroupInfo> {
    const id = await this.idOf(ref);
    try { return await this.ctx.api.group(id); } catch (err) { throw groupError(err); }
  }

  async viewOf(info: G.GroupInfo): Promise<GroupView> {
    const { store, account } = this.ctx;
    const members: GroupMemberView[] = [];
    const unknown = info.members.filter((m) => !store.getContact(m.userId)).map((m) => m.userId);
    await inParallel(unknown, FETCH_PARALLEL, async (userId) => { await this.contacts.forUser(userId).catch(() => undefined); });
    for (const m of info.members) {
      const c = store.getContact(m.userId);
      members.push({ userId: m.userId, email: c?.email ?? '', name: c?.name ?? m.userId, role: m.role, viaScim: m.viaScim, you: m.userId === account.userId });
    }
    if (info.role !== null) await store.exclusive(async () => this.ensureConversation(info.id, info.name));
    return { ...info, members };
  }

  /** A SCIM group by id or exact display name (org admins: the groups a Parley group can follow). */
  async resolveDirectoryGroup(ref: string): Promise<G.DirectoryGroup> {
    let groups: G.DirectoryGroup[];
    try {
      ({ groups } = await this.ctx.api.adminDirectoryGroups());
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) throw new PermissionError('only organization admins can link a group to the company directory');
      throw err;
    }
    const byId = groups.find((g) => g.id === ref);
    if (byId) return byId;
    const named = groups.filter((g) => g.displayName.toLowerCase() === ref.trim().toLowerCase());
    if (named.length === 1) return named[0]!;
    if (named.length === 0) throw new UsageError(`no directory group named "${ref}" (the identity provider has not pushed it over SCIM)`);
    throw new UsageError(`${named.length} directory groups are named "${ref}"; use the id instead: ${named.map((g) => g.id).join(', ')}`);
  }
}
