// SCIM 2.0 provisioning state: SCIM users (linked to a Parley user once the person signs in), groups, members.
// Deleted users stay as rows with deleted_at set, so a deactivated Parley user remains recognisable.
import { randomBytes } from 'node:crypto';
import {
  ScimStoreError, type ScimGroupFilter, type ScimGroupRow, type ScimGroupWrite, type ScimStore, type ScimUserFilter, type ScimUserRow,
  type ScimUserWrite,
} from '../types.ts';
import { num, str, strOrNull, type Params, type Row, type Sql } from './sql.ts';

const newScimId = () => randomBytes(16).toString('hex');

function toScimUser(r: Row): ScimUserRow {
  return {
    id: str(r.id), userId: strOrNull(r.user_id), externalId: strOrNull(r.external_id),
    userName: str(r.user_name), active: num(r.active) === 1, attrs: JSON.parse(str(r.attrs_json)) as Record<string, unknown>,
    managed: num(r.managed) === 1, linkValue: strOrNull(r.link_value), version: num(r.version),
    createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  };
}

export class SqliteScimStore implements ScimStore {
  constructor(private readonly q: Sql) {}

  #user(id: string): ScimUserRow | undefined {
    const r = this.q.get('SELECT * FROM scim_users WHERE id = $id AND deleted_at IS NULL', { id });
    return r && toScimUser(r);
  }

  #checkUserUnique(write: ScimUserWrite, selfId: string | null): void {
    const userName = String(write.attrs.userName);
    if (this.q.get('SELECT 1 FROM scim_users WHERE lower(user_name) = lower($userName) AND deleted_at IS NULL AND id IS NOT $self',
      { userName, self: selfId })) {
      throw new ScimStoreError('uniqueness', `A user with userName ${JSON.stringify(userName)} already exists.`);
    }
    if (write.externalId !== null && this.q.get('SELECT 1 FROM scim_users WHERE external_id = $ext AND deleted_at IS NULL AND id IS NOT $self',
      { ext: write.externalId, self: selfId })) {
      throw new ScimStoreError('uniqueness', `A user with externalId ${JSON.stringify(write.externalId)} already exists.`);
    }
  }

  listUsers(filter: ScimUserFilter | null, offset: number, limit: number): Promise<{ total: number; rows: ScimUserRow[] }> {
    let where = 'deleted_at IS NULL';
    const params: Params = {};
    if (filter) {
      params.v = filter.value;
      switch (filter.attr) {
        case 'userName': where += ' AND lower(user_name) = lower($v)'; break;
        case 'externalId': where += ' AND external_id = $v'; break;
        case 'id': where += ' AND id = $v'; break;
        case 'emails':
          where += " AND EXISTS (SELECT 1 FROM json_each(scim_users.attrs_json, '$.emails') e WHERE lower(json_extract(e.value, '$.value')) = lower($v))";
          break;
      }
    }
    return this.q.write(() => {
      const total = num(this.q.get(`SELECT count(*) AS n FROM scim_users WHERE ${where}`, params)!.n);
      const rows = this.q.all(`SELECT * FROM scim_users WHERE ${where} ORDER BY created_at, rowid LIMIT $limit OFFSET $offset`,
        { ...params, limit, offset }).map(toScimUser);
      return { total, rows };
    });
  }

  getUser(id: string): Promise<ScimUserRow | undefined> {
    return this.q.plain(() => this.#user(id));
  }

  createUser(write: ScimUserWrite, now: number): Promise<ScimUserRow> {
    return this.q.write(() => {
      this.#checkUserUnique(write, null);
      const id = newScimId();
      this.q.run(
        `INSERT INTO scim_users (id, user_id, external_id, user_name, active, attrs_json, managed, link_value, created_at, updated_at)
         VALUES ($id, NULL, $ext, $userName, $active, $attrs, 1, NULL, $now, $now)`,
        {
          id, ext: write.externalId, userName: String(write.attrs.userName), active: write.attrs.active === false ? 0 : 1,
          attrs: JSON.stringify(write.attrs), now,
        },
      );
      return this.#user(id)!;
    });
  }

  updateUser(id: string, update: (current: ScimUserRow) => ScimUserWrite, now: number): Promise<ScimUserRow | undefined> {
    return this.q.write(() => {
      const current = this.#user(id);
      if (!current) return undefined;
      const write = update(current);
      this.#checkUserUnique(write, id);
      this.q.run(
        `UPDATE scim_users SET external_id = $ext, user_name = $userName, active = $active, attrs_json = $attrs, managed = 1,
           version = version + 1, updated_at = $now WHERE id = $id`,
        {
          id, ext: write.externalId, userName: String(write.attrs.userName), active: write.attrs.active === false ? 0 : 1,
          attrs: JSON.stringify(write.attrs), now,
        },
      );
      return this.#user(id)!;
    });
  }

  deleteUser(id: string, now: number): Promise<ScimUserRow | undefined> {
    return this.q.write(() => {
      const row = this.#user(id);
      if (!row) return undefined;
      this.q.run('DELETE FROM scim_group_members WHERE member_id = $id', { id });
      this.q.run('UPDATE scim_users SET deleted_at = $now, updated_at = $now WHERE id = $id', { id, now });
      return row;
    });
  }

  groupsOf(id: string): Promise<Array<{ id: string; displayName: string }>> {
    return this.q.plain(() => this.q.all(
      `SELECT g.id, g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
       WHERE m.member_id = $id ORDER BY lower(g.display_name), g.id`, { id },
    ).map((r) => ({ id: str(r.id), displayName: str(r.display_name) })));
  }

  attrsOf(ids: string[]): Promise<Map<string, Record<string, unknown>>> {
    return this.q.plain(() => {
      const out = new Map<string, Record<string, unknown>>();
      for (const id of ids) {
        const r = this.q.get('SELECT attrs_json FROM scim_users WHERE id = $id', { id });
        if (r) out.set(id, JSON.parse(str(r.attrs_json)) as Record<string, unknown>);
      }
      return out;
    });
  }

  // ---- identity-linking primitives ----

  liveUserByExternalId(externalId: string): Promise<ScimUserRow | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT * FROM scim_users WHERE external_id = $externalId AND deleted_at IS NULL', { externalId });
      return r && toScimUser(r);
    });
  }

  liveUserOf(userId: string): Promise<ScimUserRow | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT * FROM scim_users WHERE user_id = $userId AND deleted_at IS NULL', { userId });
      return r && toScimUser(r);
    });
  }

  createUnmanagedUser(userId: string, attrs: Record<string, unknown>, linkValue: string | null, now: number): Promise<ScimUserRow> {
    return this.q.write(() => {
      const id = newScimId();
      this.q.run(
        `INSERT INTO scim_users (id, user_id, external_id, user_name, active, attrs_json, managed, link_value, created_at, updated_at)
         VALUES ($id, $userId, NULL, $userName, $active, $attrs, 0, $link, $now, $now)`,
        { id, userId, userName: String(attrs.userName), active: attrs.active === false ? 0 : 1, attrs: JSON.stringify(attrs), link: linkValue, now },
      );
      return this.#user(id)!;
    });
  }

  refreshUnmanagedUser(id: string, attrs: Record<string, unknown>, linkValue: string | null, now: number): Promise<void> {
    return this.q.plain(() => {
      this.q.run('UPDATE scim_users SET user_name = $userName, attrs_json = $attrs, link_value = $link, updated_at = $now WHERE id = $id AND managed = 0',
        { userName: String(attrs.userName), attrs: JSON.stringify(attrs), link: linkValue, now, id });
    });
  }

  linkUser(id: string, userId: string, linkValue: string | null, opts: { onlyIfUnset?: boolean } = {}): Promise<void> {
    return this.q.plain(() => {
      this.q.run(`UPDATE scim_users SET user_id = $userId, link_value = ${opts.onlyIfUnset ? 'coalesce(link_value, $link)' : '$link'} WHERE id = $id`,
        { userId, link: linkValue, id });
    });
  }

  unlinkedMatching(query: string, limit: number): Promise<ScimUserRow[]> {
    // instr() rather than LIKE so that % and _ in the query are literal.
    return this.q.plain(() => this.q.all(
      `SELECT * FROM scim_users WHERE user_id IS NULL AND deleted_at IS NULL AND active = 1 AND managed = 1
         AND external_id IS NOT NULL AND instr(lower(attrs_json), lower($q)) > 0
       ORDER BY created_at, rowid LIMIT $limit`, { q: query, limit },
    ).map(toScimUser));
  }

  // ---- groups ----

  #group(id: string): ScimGroupRow | undefined {
    const r = this.q.get('SELECT * FROM scim_groups WHERE id = $id', { id });
    if (!r) return undefined;
    const members = this.q.all('SELECT member_id FROM scim_group_members WHERE group_id = $id ORDER BY position', { id }).map((m) => str(m.member_id));
    return {
      id: str(r.id), externalId: strOrNull(r.external_id), displayName: str(r.display_name), members,
      version: num(r.version), createdAt: num(r.created_at), updatedAt: num(r.updated_at),
    };
  }

  #writeGroup(id: string, write: ScimGroupWrite, now: number, create: boolean): void {
    if (this.q.get('SELECT 1 FROM scim_groups WHERE lower(display_name) = lower($name) AND id != $id', { name: write.displayName, id })) {
      throw new ScimStoreError('uniqueness', `A group named ${JSON.stringify(write.displayName)} already exists.`);
    }
    const members = [...new Set(write.members)];
    for (const m of members) {
      if (!this.q.get('SELECT 1 FROM scim_users WHERE id = $m AND deleted_at IS NULL', { m })) {
        throw new ScimStoreError('unknown_member', `Member ${JSON.stringify(m.slice(0, 100))} is not a user of this service provider.`);
      }
    }
    if (create) {
      this.q.run('INSERT INTO scim_groups (id, external_id, display_name, created_at, updated_at) VALUES ($id, $ext, $name, $now, $now)',
        { id, ext: write.externalId, name: write.displayName, now });
    } else {
      this.q.run('UPDATE scim_groups SET external_id = $ext, display_name = $name, version = version + 1, updated_at = $now WHERE id = $id',
        { id, ext: write.externalId, name: write.displayName, now });
    }
    const existing = new Set(this.q.all('SELECT member_id FROM scim_group_members WHERE group_id = $id', { id }).map((r) => str(r.member_id)));
    const keep = new Set(members);
    for (const m of existing) if (!keep.has(m)) this.q.run('DELETE FROM scim_group_members WHERE group_id = $id AND member_id = $m', { id, m });
    let position = num(this.q.get('SELECT coalesce(max(position), 0) AS p FROM scim_group_members WHERE group_id = $id', { id })!.p);
    for (const m of members) {
      if (!existing.has(m)) this.q.run('INSERT INTO scim_group_members (group_id, member_id, position) VALUES ($id, $m, $p)', { id, m, p: ++position });
    }
  }

  listGroups(filter: ScimGroupFilter | null, offset: number, limit: number): Promise<{ total: number; rows: ScimGroupRow[] }> {
    let where = '1';
    const params: Params = {};
    if (filter) {
      params.v = filter.value;
      where = filter.attr === 'displayName' ? 'lower(display_name) = lower($v)' : filter.attr === 'externalId' ? 'external_id = $v' : 'id = $v';
    }
    return this.q.write(() => {
      const total = num(this.q.get(`SELECT count(*) AS n FROM scim_groups WHERE ${where}`, params)!.n);
      const ids = this.q.all(`SELECT id FROM scim_groups WHERE ${where} ORDER BY created_at, rowid LIMIT $limit OFFSET $offset`,
        { ...params, limit, offset }).map((r) => str(r.id));
      return { total, rows: ids.map((id) => this.#group(id)!) };
    });
  }

  getGroup(id: string): Promise<ScimGroupRow | undefined> {
    return this.q.plain(() => this.#group(id));
  }

  createGroup(write: ScimGroupWrite, now: number): Promise<ScimGroupRow> {
    return this.q.write(() => {
      const id = newScimId();
      this.#writeGroup(id, write, now, true);
      return this.#group(id)!;
    });
  }

  updateGroup(id: string, update: (current: ScimGroupRow) => ScimGroupWrite, now: number): Promise<ScimGroupRow | undefined> {
    return this.q.write(() => {
      const current = this.#group(id);
      if (!current) return undefined;
      this.#writeGroup(id, update(current), now, false);
      return this.#group(id)!;
    });
  }

  deleteGroup(id: string): Promise<boolean> {
    return this.q.write(() => {
      this.q.run('DELETE FROM scim_group_members WHERE group_id = $id', { id });
      return this.q.run('DELETE FROM scim_groups WHERE id = $id', { id }).changes === 1;
    });
  }
}
