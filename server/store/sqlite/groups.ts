// Admin-governed chat groups: members with roles, and an append-only event log per group (a membership or
// settings change and its event are written in one transaction).
import type {
  GroupActor, GroupEventKind, GroupEventRecord, GroupMemberRecord, GroupRecord, GroupRole, GroupSettingsChange, GroupStore,
} from '../types.ts';
import { DEACTIVATED } from './conditions.ts';
import { num, str, strOrNull, type Row, type Sql } from './sql.ts';

function toGroup(r: Row): GroupRecord {
  return {
    id: str(r.id), name: str(r.name), announcement: num(r.announcement) === 1, confidential: num(r.confidential) === 1,
    scimGroupId: r.scim_group_id == null ? null : str(r.scim_group_id), createdAt: num(r.created_at), createdBy: str(r.created_by),
    updatedAt: num(r.updated_at),
  };
}

const toMember = (r: Row): GroupMemberRecord => ({
  userId: str(r.user_id), role: str(r.role) as GroupRole, viaScim: num(r.via_scim) === 1, addedAt: num(r.added_at),
});

export class SqliteGroupStore implements GroupStore {
  constructor(private readonly q: Sql) {}

  /** Inside the caller's transaction. */
  #event(groupId: string, kind: GroupEventKind, actor: GroupActor, subject: string | null, at: number): void {
    this.q.run(
      `INSERT INTO chat_group_events (group_id, seq, at, kind, actor, subject)
       SELECT $groupId, coalesce(max(seq), 0) + 1, $at, $kind, $actor, $subject FROM chat_group_events WHERE group_id = $groupId`,
      { groupId, at, kind, actor, subject },
    );
  }

  #insertMember(groupId: string, m: Omit<GroupMemberRecord, 'addedAt'>, now: number): boolean {
    return this.q.run(
      `INSERT INTO chat_group_members (group_id, user_id, role, via_scim, added_at) VALUES ($groupId, $userId, $role, $viaScim, $now)
       ON CONFLICT DO NOTHING`,
      { groupId, userId: m.userId, role: m.role, viaScim: m.viaScim ? 1 : 0, now },
    ).changes === 1;
  }

  #delete(groupId: string, userId: string): boolean {
    return this.q.run('DELETE FROM chat_group_members WHERE group_id = $groupId AND user_id = $userId', { groupId, userId }).changes === 1;
  }

  create(g: Omit<GroupRecord, 'updatedAt'>, members: Array<Omit<GroupMemberRecord, 'addedAt'>>): Promise<GroupRecord> {
    return this.q.write(() => {
      this.q.run(
        `INSERT INTO chat_groups (id, name, announcement, confidential, scim_group_id, created_at, created_by, updated_at)
         VALUES ($id, $name, $announcement, $confidential, $scim, $at, $by, $at)`,
        { id: g.id, name: g.name, announcement: g.announcement ? 1 : 0, confidential: g.confidential ? 1 : 0, scim: g.scimGroupId, at: g.createdAt, by: g.createdBy },
      );
      this.#event(g.id, 'created', g.createdBy, null, g.createdAt);
      for (const m of members) {
        if (this.#insertMember(g.id, m, g.createdAt) && m.userId !== g.createdBy) this.#event(g.id, 'added', m.viaScim ? 'scim' : g.createdBy, m.userId, g.createdAt);
      }
      return { ...g, updatedAt: g.createdAt };
    });
  }

  get(id: string): Promise<GroupRecord | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT * FROM chat_groups WHERE id = $id', { id });
      return r && toGroup(r);
    });
  }

  listOf(userId: string): Promise<Array<GroupRecord & { role: GroupRole }>> {
    return this.q.plain(() => this.q.all(
      `SELECT g.*, m.role FROM chat_groups g JOIN chat_group_members m ON m.group_id = g.id
       WHERE m.user_id = $userId ORDER BY g.created_at DESC, g.id`, { userId },
    ).map((r) => ({ ...toGroup(r), role: str(r.role) as GroupRole })));
  }

  listAll(): Promise<Array<GroupRecord & { memberCount: number }>> {
    return this.q.plain(() => this.q.all(
      `SELECT g.*, (SELECT count(*) FROM chat_group_members m WHERE m.group_id = g.id) AS member_count
       FROM chat_groups g ORDER BY g.created_at DESC, g.id`,
    ).map((r) => ({ ...toGroup(r), memberCount: num(r.member_count) })));
  }

  members(id: string): Promise<GroupMemberRecord[]> {
    return this.q.plain(() => this.q.all('SELECT * FROM chat_group_members WHERE group_id = $id ORDER BY added_at, rowid', { id }).map(toMember));
  }

  addMember(id: string, m: Omit<GroupMemberRecord, 'addedAt'>, actor: GroupActor, now: number): Promise<boolean> {
    return this.q.write(() => {
      if (!this.#insertMember(id, m, now)) return false;
      this.#event(id, 'added', actor, m.userId, now);
      return true;
    });
  }

  removeMember(id: string, userId: string, kind: 'removed' | 'left' | 'deactivated', actor: GroupActor, now: number): Promise<boolean> {
    return this.q.write(() => {
      if (!this.#delete(id, userId)) return false;
      this.#event(id, kind, actor, userId, now);
      return true;
    });
  }

  setRole(id: string, userId: string, role: 'admin' | 'member', actor: GroupActor, now: number): Promise<'promoted' | 'demoted' | 'unchanged' | 'not_member'> {
    return this.q.write(() => {
      const r = this.q.get('SELECT role FROM chat_group_members WHERE group_id = $id AND user_id = $userId', { id, userId });
      if (!r) return 'not_member' as const;
      const current = str(r.role) as GroupRole;
      const isAdmin = current !== 'member';
      if ((role === 'admin') === isAdmin) return 'unchanged' as const;
      this.q.run('UPDATE chat_group_members SET role = $role WHERE group_id = $id AND user_id = $userId', { role, id, userId });
      const kind = role === 'admin' ? 'promoted' as const : 'demoted' as const;
      this.#event(id, kind, actor, userId, now);
      return kind;
    });
  }

  update(id: string, change: GroupSettingsChange, actor: GroupActor, now: number): Promise<GroupRecord | undefined> {
    return this.q.write(() => {
      const r = this.q.get('SELECT * FROM chat_groups WHERE id = $id', { id });
      if (!r) return undefined;
      const g = toGroup(r);
      const next: GroupRecord = {
        ...g,
        name: change.name ?? g.name,
        announcement: change.announcement ?? g.announcement,
        confidential: change.confidential ?? g.confidential,
        scimGroupId: change.scimGroupId === undefined ? g.scimGroupId : change.scimGroupId,
      };
      if (next.name === g.name && next.announcement === g.announcement && next.confidential === g.confidential && next.scimGroupId === g.scimGroupId) return g;
      next.updatedAt = now;
      this.q.run(
        `UPDATE chat_groups SET name = $name, announcement = $announcement, confidential = $confidential, scim_group_id = $scim,
         updated_at = $now WHERE id = $id`,
        { id, name: next.name, announcement: next.announcement ? 1 : 0, confidential: next.confidential ? 1 : 0, scim: next.scimGroupId, now },
      );
      if (next.scimGroupId === null) this.q.run('UPDATE chat_group_members SET via_scim = 0 WHERE group_id = $id', { id });
      this.#event(id, 'settings', actor, null, now);
      return next;
    });
  }

  events(id: string, afterSeq: number, limit: number): Promise<GroupEventRecord[]> {
    return this.q.plain(() => this.q.all(
      'SELECT * FROM chat_group_events WHERE group_id = $id AND seq > $after ORDER BY seq LIMIT $limit', { id, after: afterSeq, limit },
    ).map((r) => ({
      seq: num(r.seq), at: num(r.at), kind: str(r.kind) as GroupEventKind, actor: str(r.actor), subject: r.subject == null ? null : str(r.subject),
    })));
  }

  removeEverywhere(userId: string, actor: GroupActor, now: number): Promise<string[]> {
    return this.q.write(() => {
      const ids = this.q.all('SELECT group_id FROM chat_group_members WHERE user_id = $userId ORDER BY group_id', { userId }).map((r) => str(r.group_id));
      for (const id of ids) {
        this.#delete(id, userId);
        this.#event(id, 'deactivated', actor, userId, now);
      }
      return ids;
    });
  }

  linkedTo(scimGroupId: string): Promise<GroupRecord[]> {
    return this.q.plain(() => this.q.all('SELECT * FROM chat_groups WHERE scim_group_id = $scimGroupId ORDER BY id', { scimGroupId }).map(toGroup));
  }

  directoryMembers(scimGroupId: string): Promise<string[] | undefined> {
    return this.q.plain(() => {
      if (!this.q.get('SELECT 1 FROM scim_groups WHERE id = $scimGroupId', { scimGroupId })) return undefined;
      return this.q.all(
        `SELECT su.user_id FROM scim_group_members m JOIN scim_users su ON su.id = m.member_id
         WHERE m.group_id = $scimGroupId AND su.deleted_at IS NULL AND su.active = 1 AND su.user_id IS NOT NULL
           AND ${DEACTIVATED('su.user_id')} = 0
         ORDER BY m.position`, { scimGroupId },
      ).map((r) => str(r.user_id));
    });
  }

  syncDirectory(id: string, desired: string[], actor: GroupActor, now: number): Promise<{ added: string[]; removed: string[] }> {
    return this.q.write(() => {
      const current = this.q.all('SELECT * FROM chat_group_members WHERE group_id = $id', { id }).map(toMember);
      const want = new Set(desired);
      const have = new Set(current.map((m) => m.userId));
      const removed = current.filter((m) => m.viaScim && !want.has(m.userId)).map((m) => m.userId);
      const added = desired.filter((u) => !have.has(u));
      for (const userId of removed) {
        this.#delete(id, userId);
        this.#event(id, 'removed', actor, userId, now);
      }
      for (const userId of added) {
        this.#insertMember(id, { userId, role: 'member', viaScim: true }, now);
        this.#event(id, 'added', actor, userId, now);
      }
      return { added, removed };
    });
  }

  pendingDirectoryGroups(userId: string): Promise<string[]> {
    return this.q.plain(() => this.q.all(
      `SELECT DISTINCT g.id FROM chat_groups g
       JOIN scim_group_members m ON m.group_id = g.scim_group_id
       JOIN scim_users s ON s.id = m.member_id AND s.deleted_at IS NULL AND s.active = 1
       WHERE s.user_id = $userId
         AND NOT EXISTS (SELECT 1 FROM chat_group_members cm WHERE cm.group_id = g.id AND cm.user_id = $userId)`, { userId },
    ).map((r) => str(r.id)));
  }
}
