// Search and chat settings on a real SQLCipher store (no server): the FTS5 index follows inserts, edits,
// deletes, held messages and releases; hostile query text is never FTS5 syntax; drafts and settings
// survive closing and reopening the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../../electron/core/store/local-store.ts';
import { FileVault } from '../../electron/core/store/vault.ts';
import { MessageSearch } from '../../electron/core/search/search.ts';
import { MAX_QUERY_CHARS } from '../../electron/core/search/query.ts';
import { ChatSettingsStore, MUTED_FOREVER } from '../../electron/core/chats/chat-settings.ts';
import { UsageError, type CoreContext } from '../../electron/core/context.ts';

let clock = 1_000_000;
function open(dir: string) {
  return LocalStore.open(dir, new FileVault(join(dir, 'vault'))).then((store) => {
    const ctx = { store, now: () => clock, warn: () => {} } as unknown as CoreContext;
    return { store, search: new MessageSearch(ctx), chats: new ChatSettingsStore(ctx) };
  });
}

function add(store: LocalStore, id: string, body: string, extra: { direction?: 'in' | 'out' | 'system'; flag?: 'held'; conversationId?: string } = {}) {
  const conversationId = extra.conversationId ?? 'dm_a';
  store.ensureConversation({ id: conversationId, kind: 'direct', peerUserId: 'u_a', title: 'A' }, clock);
  const direction = extra.direction ?? 'in';
  store.addMessage({
    id, conversationId, senderUserId: 'u_a', senderDeviceId: 1, direction, body, sentAt: clock, receivedAt: clock++,
    status: direction === 'system' ? 'system' : 'received', ...(extra.flag ? { flag: extra.flag, senderKey: 'k' } : {}),
    ...(direction === 'system' ? { kind: 'system' as const } : {}),
  } as Parameters<LocalStore['addMessage']>[0]);
}
const ids = (hits: { messageId: string }[]) => hits.map((h) => h.messageId);
const sql = (store: LocalStore, q: string, p: (string | number | null)[] = []) => store.handle.prepare(q).run(p);
/** Every term the index holds (fts5vocab), to show that deleted words leave nothing behind. */
function terms(store: LocalStore): string[] {
  store.handle.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_terms USING fts5vocab(main, 'message_search', 'row')");
  return (store.handle.prepare('SELECT term FROM temp.search_terms').all() as { term: string }[]).map((r) => r.term);
}

test('search: finds words (diacritics and case folded, last word a prefix), newest first, with the matched ranges', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-search-'));
  try {
    const { store, search } = await open(dir);
    add(store, 'm1', 'Lunch at the Café Müller?');
    add(store, 'm2', 'the cafe is closed today', { direction: 'out' });
    add(store, 'm3', 'quarterly numbers are in');
    assert.deepEqual(ids(search.search('cafe')), ['m2', 'm1']);
    assert.deepEqual(ids(search.search('MULLER caf')), ['m1']);
    assert.deepEqual(ids(search.search('quart')), ['m3'], 'the last word is a prefix');
    assert.deepEqual(ids(search.search('quart numbers')), [], 'earlier words are whole words');
    const [hit] = search.search('müller lunch');
    assert.deepEqual(hit!.matches.map(([s, e]) => hit!.text.slice(s, e)), ['Lunch', 'Müller']);
    assert.equal(hit!.conversationId, 'dm_a');
    assert.equal(search.search('cafe', { limit: 1 }).length, 1);
    assert.deepEqual(ids(search.search('cafe', { conversationId: 'dm_other' })), []);
    store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('search: edits are re-indexed, delete-for-everyone and deleted rows leave no term behind, status changes do not touch the index', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-search-'));
  try {
    const { store, search } = await open(dir);
    add(store, 'm1', 'the launch codes are zebra-orchid');
    add(store, 'm2', 'nothing special here');
    sql(store, "UPDATE messages SET body = 'corrected text about pelicans' WHERE id = 'm2'");
    assert.deepEqual(ids(search.search('pelicans')), ['m2']);
    assert.deepEqual(ids(search.search('special')), [], 'the old text of an edited message is not found');
    // Delete-for-everyone keeps the row with body '' (H1's messages core).
    sql(store, "UPDATE messages SET body = '' WHERE id = 'm1'");
    assert.deepEqual(ids(search.search('zebra')), []);
    assert.equal(terms(store).includes('zebra'), false, 'secure-delete removed the term from the index itself');
    assert.equal(terms(store).includes('orchid'), false);
    sql(store, "UPDATE messages SET status = 'delivered' WHERE id = 'm2'");
    sql(store, "DELETE FROM messages WHERE id = 'm2'");
    assert.deepEqual(ids(search.search('pelicans')), []);
    assert.deepEqual(terms(store), []);
    assert.equal((store.handle.prepare("INSERT INTO message_search(message_search, rank) VALUES ('integrity-check', 1)").run()).changes, 1);
    store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('search: a held message cannot be found until it is released; system messages never', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-search-'));
  try {
    const { store, search } = await open(dir);
    add(store, 'h1', 'held secret flamingo', { flag: 'held' });
    add(store, 's1', 'flamingo joined the group', { direction: 'system' });
    assert.deepEqual(ids(search.search('flamingo')), []);
    assert.equal(terms(store).includes('flamingo'), false);
    store.setFlag('h1', null);
    assert.deepEqual(ids(search.search('flamingo')), ['h1']);
    store.setFlag('h1', 'held');
    assert.deepEqual(ids(search.search('flamingo')), []);
    store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('search: hostile input is taken literally, never FTS5 syntax or a raw SQLite error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-search-'));
  try {
    const { store, search } = await open(dir);
    add(store, 'm1', 'foo OR bar NEAR baz "quoted" body:field a*b ^start');
    const nasty = ['"foo OR', 'NEAR(', 'NEAR(foo bar', '(', ')', '"', '""', '*', 'foo*', '^foo', 'body:foo', '-foo', 'NOT', 'AND foo',
      'foo AND', 'OR', 'foo " bar', "'; DROP TABLE messages; --", '\u0000foo', 'foo\u0000', '{body}: foo', '+', 'a OR b', '😀', '🙂 foo',
      'NEAR(foo, 5)', 'foo:', ':', 'ｆｏｏ', 'x'.repeat(MAX_QUERY_CHARS), '\\', '%', '_', 'foo\nbar', '\t', ' ', ''];
    for (const q of nasty) {
      assert.doesNotThrow(() => search.search(q), `query ${JSON.stringify(q)}`);
    }
    // And random strings of FTS5's special characters, words and operators.
    const parts = ['"', "'", '(', ')', '*', '^', ':', '-', '+', 'NEAR', 'OR', 'AND', 'NOT', 'foo', ' ', '{', '}', ',', '\u0000', 'é', '🙂', '.'];
    for (let i = 0; i < 500; i++) {
      const q = Array.from({ length: 1 + (i % 9) }, (_, j) => parts[(i * 7 + j * 13 + (i >> 3)) % parts.length]).join('');
      assert.doesNotThrow(() => search.search(q), `query ${JSON.stringify(q)}`);
    }
    assert.deepEqual(ids(search.search('"foo OR')), ['m1'], 'the words foo and OR, literally');
    assert.deepEqual(ids(search.search('NEAR(')), ['m1']);
    assert.deepEqual(ids(search.search('body:field')), ['m1']);
    assert.deepEqual(ids(search.search('(')), [], 'no word: nothing to find');
    assert.deepEqual(ids(search.search('"quoted"')), ['m1']);
    assert.throws(() => search.search('x'.repeat(MAX_QUERY_CHARS + 1)), (e: Error) => e instanceof UsageError && /at most 200 characters/.test(e.message));
    assert.throws(() => search.search('a b c d e f g h i j k l m'), (e: Error) => e instanceof UsageError && /at most 12 words/.test(e.message));
    assert.equal(store.countMessages(), 1, 'nothing was changed by any query');
    // Control characters in a message do not shift or forge the matched ranges.
    add(store, 'm2', 'plain \u0001forged\u0002 marker words');
    const [h] = search.search('marker');
    assert.deepEqual(h!.matches.map(([a, b]) => h!.text.slice(a, b)), ['marker']);
    // A one-letter last word is a whole word (a prefix of one letter would match half the index).
    add(store, 'm3', 'x marks the spot');
    assert.deepEqual(ids(search.search('x')), ['m3']);
    assert.deepEqual(ids(search.search('m')), []);
    store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('chats: mute (for a while or until unmuted), pin, archive and drafts survive reopening; archived chats come back on a new message unless muted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-chats-'));
  try {
    let { store, chats } = await open(dir);
    add(store, 'm1', 'hello', { conversationId: 'dm_a' });
    add(store, 'm2', 'hello', { conversationId: 'dm_b' });
    await chats.setDraft('dm_a', 'half-written reply ✍');
    await chats.setPinned('dm_a', true);
    const mutedAt = clock;
    await chats.setMuted('dm_b', true, 8 * 3600_000);
    await chats.setArchived('dm_b', true);
    await assert.rejects(chats.setPinned('dm_nope', true), /no such conversation/);
    await assert.rejects(chats.setDraft('dm_a', 'x'.repeat(8001)), /at most 8000/);
    store.close();
    ({ store, chats } = await open(dir));
    assert.equal(chats.draft('dm_a'), 'half-written reply ✍');
    assert.ok(chats.get('dm_a').pinnedAt !== undefined);
    assert.equal(chats.get('dm_b').mutedUntil, mutedAt + 8 * 3600_000);
    assert.ok(chats.isMuted('dm_b'));
    assert.ok(chats.get('dm_b').archivedAt !== undefined);
    // Muted and archived: a new message leaves it archived.
    add(store, 'm3', 'ping', { conversationId: 'dm_b' });
    assert.ok(chats.get('dm_b').archivedAt !== undefined);
    // The mute runs out: the next message brings it back.
    clock += 9 * 3600_000;
    assert.equal(chats.isMuted('dm_b'), false);
    add(store, 'm4', 'ping again', { conversationId: 'dm_b' });
    assert.equal(chats.get('dm_b').archivedAt, undefined);
    await chats.setMuted('dm_b', true);
    assert.equal(chats.get('dm_b').mutedUntil, MUTED_FOREVER);
    await chats.setArchived('dm_a', true);
    assert.equal(chats.get('dm_a').pinnedAt, undefined, 'archiving unpins');
    await chats.setDraft('dm_a', '');
    assert.equal(chats.draft('dm_a'), '');
    assert.equal(chats.notificationContent(), 'full');
    await chats.rememberNotificationContent('none');
    store.close();
    ({ store, chats } = await open(dir));
    assert.equal(chats.notificationContent(), 'none');
    store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
