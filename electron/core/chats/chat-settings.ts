// Per-chat choices of this user, kept on this device (store migration 0004's conversation columns): mute
// (for a while or until unmuted), pin, archive, and the unsent draft. An archived chat that is not muted
// comes back when a new message arrives (a trigger in the migration does it, whoever stores the message).
// The organization's rule for what a notification may show is remembered here too, so a notification
// shown while the server is unreachable still follows the last rule this device was told.
import type { OrgRules } from '../../../common/wire/org-rules.ts';
import { UsageError, type CoreContext } from '../context.ts';
import type { Row } from '../store/schema.ts';

/** muted_until for "until I unmute" (the largest time a Date can hold). */
export const MUTED_FOREVER = 8_640_000_000_000_000;
export const MAX_DRAFT_CHARS = 8000;
const RULE_KEY = 'orgRules.notificationContent';

export type NotificationContent = NonNullable<OrgRules['notificationContent']>;

export interface ChatSettings {
  /** Muted until this time (ms); absent when not muted (or the mute ran out). MUTED_FOREVER: until unmuted. */
  mutedUntil?: number;
  pinnedAt?: number;
  archivedAt?: number;
  draft?: string;
  draftUpdatedAt?: number;
}

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

export class ChatSettingsStore {
  constructor(private readonly ctx: CoreContext) {}

  private exists(conversationId: string): void {
    if (!this.ctx.store.getConversation(conversationId)) throw new UsageError(`no such conversation: ${conversationId}`);
  }

  /** A chat's id from an id, an email (direct chat) or a group chat's name; see findConversation. */
  find(ref: string): string {
    return findConversation(this.ctx, ref);
  }

  /** Every chat's settings (chats with none set are absent). */
  all(): Map<string, ChatSettings> {
    const rows = this.ctx.store.handle.prepare(`SELECT id, muted_until, pinned_at, archived_at, draft, draft_updated_at FROM conversations
      WHERE muted_until IS NOT NULL OR pinned_at IS NOT NULL OR archived_at IS NOT NULL OR draft IS NOT NULL`).all() as Row[];
    return new Map(rows.map((r) => [String(r.id), this.toSettings(r)]));
  }

  get(conversationId: string): ChatSettings {
    const r = this.ctx.store.handle.prepare('SELECT muted_until, pinned_at, archived_at, draft, draft_updated_at FROM conversations WHERE id = ?')
      .get([conversationId]) as Row | undefined;
    return r ? this.toSettings(r) : {};
  }

  private toSettings(r: Row): ChatSettings {
    const mutedUntil = num(r.muted_until);
    const s: ChatSettings = {};
    if (mutedUntil !== undefined && mutedUntil > this.ctx.now()) s.mutedUntil = mutedUntil;
    const pinnedAt = num(r.pinned_at);
    if (pinnedAt !== undefined) s.pinnedAt = pinnedAt;
    const archivedAt = num(r.archived_at);
    if (archivedAt !== undefined) s.archivedAt = archivedAt;
    if (typeof r.draft === 'string' && r.draft.length > 0) { s.draft = r.draft; s.draftUpdatedAt = num(r.draft_updated_at) ?? 0; }
    return s;
  }

  isMuted(conversationId: string): boolean {
    return this.get(conversationId).mutedUntil !== undefined;
  }

  /** Mutes for `forMs` milliseconds, or until unmuted when `forMs` is undefined; null unmutes. */
  async setMuted(conversationId: string, muted: boolean, forMs?: number): Promise<ChatSettings> {
    this.exists(conversationId);
    if (forMs !== undefined && !(Number.isFinite(forMs) && forMs > 0)) throw new UsageError('a mute lasts a positive time');
    const until = !muted ? null : forMs === undefined ? MUTED_FOREVER : Math.min(MUTED_FOREVER, this.ctx.now() + forMs);
    await this.write('UPDATE conversations SET muted_until = ? WHERE id = ?', [until, conversationId]);
    return this.get(conversationId);
  }

  async setPinned(conversationId: string, pinned: boolean): Promise<ChatSettings> {
    this.exists(conversationId);
    // Pinning again keeps the first pin's place in the order.
    await this.write('UPDATE conversations SET pinned_at = CASE WHEN ? THEN coalesce(pinned_at, ?) ELSE NULL END WHERE id = ?',
      [pinned ? 1 : 0, this.ctx.now(), conversationId]);
    return this.get(conversationId);
  }

  /** Archiving also unpins: an archived chat leaves the main list. */
  async setArchived(conversationId: string, archived: boolean): Promise<ChatSettings> {
    this.exists(conversationId);
    if (archived) await this.write('UPDATE conversations SET archived_at = coalesce(archived_at, ?), pinned_at = NULL WHERE id = ?', [this.ctx.now(), conversationId]);
    else await this.write('UPDATE conversations SET archived_at = NULL WHERE id = ?', [conversationId]);
    return this.get(conversationId);
  }

  /** Keeps the unsent text of a chat's composer; '' clears it. */
  async setDraft(conversationId: string, text: string): Promise<void> {
    this.exists(conversationId);
    if (text.length > MAX_DRAFT_CHARS) throw new UsageError(`a draft can be at most ${MAX_DRAFT_CHARS} characters long`);
    await this.write('UPDATE conversations SET draft = ?, draft_updated_at = ? WHERE id = ?',
      [text.length > 0 ? text : null, text.length > 0 ? this.ctx.now() : null, conversationId]);
  }

  draft(conversationId: string): string {
    return this.get(conversationId).draft ?? '';
  }

  /** What notifications may show, as the organization last said (GET /v1/policy); 'full' until told otherwise. */
  notificationContent(): NotificationContent {
    const v = this.ctx.store.getMeta(RULE_KEY);
    return v === 'sender' || v === 'none' ? v : 'full';
  }

  async rememberNotificationContent(rule: NotificationContent | undefined): Promise<void> {
    const value = rule ?? 'full';
    if (this.ctx.store.getMeta(RULE_KEY) === value) return;
    await this.ctx.store.exclusive(async () => this.ctx.store.setMeta(RULE_KEY, value));
  }

  private async write(sql: string, params: (string | number | null)[]): Promise<void> {
    await this.ctx.store.exclusive(async () => { this.ctx.store.handle.prepare(sql).run(params); });
  }
}

/**
 * A chat on this device from what a person types: its conversation id, the email of the person in a direct
 * chat, or a group chat's exact name (case-insensitive). Local only: works offline.
 */
export function findConversation(ctx: CoreContext, ref: string): string {
  const { store } = ctx;
  const wanted = ref.trim();
  if (wanted.length === 0) throw new UsageError('no conversation given');
  if (store.getConversation(wanted)) return wanted;
  const lower = wanted.toLowerCase();
  const all = store.listConversations();
  const direct = all.filter((c) => c.peerUserId !== null && store.getContact(c.peerUserId)?.email.toLowerCase() === lower);
  if (direct.length > 0) return direct[0]!.id;
  const named = all.filter((c) => c.kind === 'group' && c.title.toLowerCase() === lower);
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) throw new UsageError(`${named.length} of your group chats are named "${wanted}"; use the id instead: ${named.map((c) => c.id).join(', ')}`);
  throw new UsageError(`no conversation "${wanted}" on this device (an email, a group name or a conversation id; see parley chats)`);
}
