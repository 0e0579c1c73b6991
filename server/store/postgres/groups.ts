// Admin-governed chat groups: members with roles, and an append-only event log per group (a membership or
// settings change and its event are written in one transaction, under the DIRECTORY lock: event numbers are
// max + 1, and two nodes must not take the same one).
import type {
  GroupActor, GroupEventKind, GroupEventRecord, GroupMemberRecord, GroupRecord, GroupRole, GroupSettingsChange, GroupStore,
} from '../types.ts';
import { DEACTIVATED } from './conditions.ts';
import { bool, LOCK, num, str, type Pg, type Row } from './sql.ts';

const DIRECTORY = [LOCK.directory];

function toGroup(r: Row): GroupRecord {
  return {
    id: str(r.id), name: str(r.name), announcement: bool(r.announcement), confidential: bool(r.confidential),
    scimGroupId: r.scim_group_id == null ? null : str(r.scim_group_id), createdAt: num(r.created_at), createdBy: str(r.created_by),
    updatedAt: num(r.updated_at),
  };
}

const toMember = (r: Row): GroupMemberRecord => ({
  userId: str(r.user_id), role: str(r.role) as GroupRole, viaScim: bool(r.via_scim), addedAt: num(r.added_at),
});

export class PgGroupStore implements GroupStore {
  constructor(private readonly q: Pg) {}

  /** Inside the caller's write. */
  async #event(groupId: string, kind: GroupEventKind, actor: GroupActor, subject: string | null, at: number): Promise<void> {
    await this.q.run(
      `INSERT INTO chat_group_events (group_id, seq, at, kind, actor, subject)
       SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5 FROM chat_group_events WHERE group_id = $1`,
      [groupId, at, kind, actor, subject],
    );
  }

  async #insertMember(groupId: string, m: Omit<GroupMemberRecord, 'addedAt'>, now: number): Promise<boolean> {
    return await this.q.run(
      `INSERT INTO chat_group_members (group_id, user_id, role, via_scim, added_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [groupId, m.userId, m.role, m.viaScim, now],
    ) === 1;
  }

  async #delete(groupId: string, userId: string): Promise<boolean> {
    return await this.q.run('DELETE FROM chat_group_members WHERE group_id = $1 AND user_id = $2', [groupId, userId]) === 1;
  }

  create(g: Omit<GroupRecord, 'updatedAt'>, members: Array<Omit<GroupMemberRecord, 'addedAt'>>): Promise<GroupRecord> {
    return this.q.write(async () => {
      await this.q.run(
        `INSERT INTO chat_groups (id, name, announcement, confidential, scim_group_id, created_at, created_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6)`,
        [g.id, g.name, g.announcement, g.confidential, g.scimGroupId, g.createdAt, g.createdBy],
      );
      await this.#event(g.id, 'created', g.createdBy, null, g.createdAt);
      for (const m of members) {
        if (await this.#insertMember(g.id, m, g.createdAt) && m.userId !== g.createdBy) {
          await this.#event(g.id, 'added', m.viaScim ? 'scim' : g.createdBy, m.userId, g.createdAt);
        }
      }
      return { ...g, updatedAt: g.createdAt };
    }, DIRECTORY);
  }

  async get(id: string): Promise<GroupRecord | undefined> {
    const r = await this.q.row('SELECT * FROM chat_groups WHERE id = $1', [id]);
    return r && toGroup(r);
  }

  async listOf(userId: string): Promise<Array<GroupRecord & { role: GroupRole }>> {
    return (await this.q.rows(
      `SELECT g.*, m.role FROM chat_groups g JOIN chat_group_members m ON m.group_id = g.id
       WHERE m.user_id = $1 ORDER BY g.created_at DESC, g.id COLLATE "C"`, [userId],
    )).map((r) => ({ ...toGroup(r), role: str(r.role) as GroupRole }));
  }

  async listAll(): Promise<Array<GroupRecord & { memberCount: number }>> {
    return (await this.q.rows(
      `SELECT g.*, (SELECT count(*) FROM chat_group_members m WHERE m.group_id = g.id) AS member_count
       FROM chat_groups g ORDER BY g.created_at DESC, g.id COLLATE "C"`,
    )).map((r) => ({ ...toGroup(r), memberCount: num(r.member_count) }));
  }

  async members(id: string): Promise<GroupMemberRecord[]> {
    return (await this.q.rows('SELECT * FROM chat_group_members WHERE group_id = $1 ORDER BY added_at, rid', [id])).map(toMember);
  }

  addMember(id: string, m: Omit<GroupMemberRecord, 'addedAt'>, actor: GroupActor, now: number): Promise<boolean> {
    return this.q.write(async () => {
      if (!await this.#insertMember(id, m, now)) return false;
      await this.#event(id, 'added', actor, m.userId, now);
      return true;
    }, DIRECTORY);
  }

  removeMember(id: string, userId: string, kind: 'removed' | 'left' | 'deactivated', actor: GroupActor, now: number): Promise<boolean> {
    return this.q.write(async () => {
      if (!await this.#delete(id, userId)) return false;
      await this.#event(id, kind, actor, userId, now);
      return true;
    }, DIRECTORY);
  }

  setRole(id: string, userId: string, role: 'admin' | 'member', actor: GroupActor, now: number): Promise<'promoted' | 'demoted' | 'unchanged' | 'not_member'> {
    return this.q.write(async () => {
      const r = await this.q.row('SELECT role FROM chat_group_members WHERE group_id = $1 AND user_id = $2', [id, userId]);
      if (!r) return 'not_member' as const;
      const isAdmin = str(r.role) !== 'member';
      if ((role === 'admin') === isAdmin) return 'unchanged' as const;
      await this.q.run('UPDATE chat_group_members SET role = $3 WHERE group_id = $1 AND user_id = $2', [id, userId, role]);
      const kind = role === 'admin' ? 'promoted' as const : 'demoted' as const;
      await this.#event(id, kind, actor, userId, now);
      return kind;
    }, DIRECTORY);
  }

  update(id: string, change: GroupSettingsChange, actor: GroupActor, now: number): Promise<GroupRecord | undefined> {
    return this.q.write(async () => {
      const r = await this.q.row('SELECT * FROM chat_groups WHERE id = $1', [id]);
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
      await this.q.run(
        'UPDATE chat_groups SET name = $2, announcement = $3, confidential = $4, scim_group_id = $5, updated_at = $6 WHERE id = $1',
        [id, next.name, next.announcement, next.confidential, next.scimGroupId, now],
      );
      if (next.scimGroupId === null) await this.q.run('UPDATE chat_group_members SET via_scim = false WHERE group_id = $1', [id]);
      await this.#event(id, 'settings', actor, null, now);
      return next;
    }, DIRECTORY);
  }

  async events(id: string, afterSeq: number, limit: number): Promise<GroupEventRecord[]> {
    return (await this.q.rows(
      'SELECT * FROM chat_group_events WHERE group_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [id, afterSeq, limit],
    )).map((r) => ({
      seq: num(r.seq), at: num(r.at), kind: str(r.kind) as GroupEventKind, actor: str(r.actor), subject: r.subject == null ? null : str(r.subject),
    }));
  }

  removeEverywhere(userId: string, actor: GroupActor, now: number): Promise<string[]> {
    return this.q.write(async () => {
      const ids = (await this.q.rows('SELECT group_id FROM chat_group_members WHERE user_id = $1 ORDER BY group_id COLLATE "C"', [userId]))
        .map((r) => str(r.group_id));
      for (const id of ids) {
        await this.#delete(id, userId);
        await this.#event(id, 'deactivated', actor, userId, now);
      }
      return ids;
    }, DIRECTORY);
  }

  async linkedTo(scimGroupId: string): Promise<GroupRecord[]> {
    return (await this.q.rows('SELECT * FROM chat_groups WHERE scim_group_id = $1 ORDER BY id COLLATE "C"', [scimGroupId])).map(toGroup);
  }

  async directoryMembers(scimGroupId: string): Promise<string[] | undefined> {
    if (!await this.q.row('SELECT 1 FROM scim_groups WHERE id = $1', [scimGroupId])) return undefined;
    return (await this.q.rows(
      `SELECT su.user_id FROM scim_group_members m JOIN scim_users su ON su.id = m.member_id
       WHERE m.group_id = $1 AND su.deleted_at IS NULL AND su.active AND su.user_id IS NOT NULL
         AND NOT ${DEACTIVATED('su.user_id')}
       ORDER BY m.position`, [scimGroupId],
    )).map((r) => str(r.user_id));
  }

  syncDirectory(id: string, desired: string[], actor: GroupActor, now: number): Promise<{ added: string[]; removed: string[] }> {
    return this.q.write(async () => {
      const current = (await this.q.rows('SELECT * FROM chat_group_members WHERE group_id = $1 ORDER BY rid', [id])).map(toMember);
      const want = new Set(desired);
      const have = new Set(current.map((m) => m.userId));
      const removed = current.filter((m) => m.viaScim && !want.has(m.userId)).map((m) => m.userId);
      const added = desired.filter((u) => !have.has(u));
      for (const userId of removed) {
        await this.#delete(id, userId);
        await this.#event(id, 'removed', actor, userId, now);
      }
      for (const userId of added) {
        await this.#insertMember(id, { userId, role: 'member', viaScim: true }, now);
        await this.#event(id, 'added', actor, userId, now);
      }
      return { added, removed };
    }, DIRECTORY);
  }

  async pendingDirectoryGroups(userId: string): Promise<string[]> {
    return (await this.q.rows(
      `SELECT DISTINCT g.id FROM chat_groups g
       JOIN scim_group_members m ON m.group_id = g.scim_group_id
       JOIN scim_users s ON s.id = m.member_id AND s.deleted_at IS NULL AND s.active
       WHERE s.user_id = $1
         AND NOT EXISTS (SELECT 1 FROM chat_group_members cm WHERE cm.group_id = g.id AND cm.user_id = $1)`, [userId],
    )).map((r) => str(r.id));
  }
}
