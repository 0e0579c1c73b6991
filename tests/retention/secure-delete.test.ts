// Expired messages are gone from the bytes, not just from query results: the real SQLCipher store file is
// decrypted page by page with its key (tests/retention/sqlcipher-pages.ts) — free pages and the write-ahead
// log included — and the text of a purged message, its edit history and its search index entry must be on
// no page. The same steps with secure_delete off leave the text behind, so the check can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, STORE_FILE } from '../../electron/core/store/local-store.ts';
import { FileVault } from '../../electron/core/store/vault.ts';
import { flushFreedPages, purgeDue } from '../../electron/core/retention/purge.ts';
import { pagesContaining } from './sqlcipher-pages.ts';

const T0 = Date.UTC(2026, 10, 1);

async function storeWithMessages(secureDelete: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-secure-delete-'));
  const vault = new FileVault(join(dir, 'vault'));
  const store = await LocalStore.open(dir, vault);
  if (!secureDelete) store.handle.pragma('secure_delete = OFF');
  const key = (await vault.load('store-key'))!;
  await store.exclusive(async () => {
    store.ensureConversation({ id: 'c1', kind: 'direct', peerUserId: 'u_bob', title: 'Bob' }, T0);
    const msg = (id: string, body: string, at: number, expiresIn?: number) => store.addMessage({
      id, conversationId: 'c1', senderUserId: 'u_bob', senderDeviceId: 1, direction: 'in', body, sentAt: at, receivedAt: at,
      status: 'received', ...(expiresIn ? { expiresIn } : {}),
    });
    msg('m-disappearing-1', 'quokka-tangerine-disappearing', T0, 60);
    msg('m-old-1', 'narwhal-pistachio-retention', T0 - 40 * 86_400_000);
    msg('m-kept-1', 'otter-blueberry-stays', T0);
    // An edit history row and a reaction go with the message (ON DELETE CASCADE).
    store.handle.prepare('INSERT INTO message_edits (message_id, body, replaced_at) VALUES (?, ?, ?)').run(['m-old-1', 'narwhal-history-earlier', T0]);
    store.handle.prepare('INSERT INTO reactions (message_id, user_id, emoji, at) VALUES (?, ?, ?, ?)').run(['m-old-1', 'u_alice', '👍', T0]);
  });
  flushFreedPages(store);
  return { dir, store, key, path: join(dir, STORE_FILE) };
}

const SECRETS = ['quokka-tangerine-disappearing', 'narwhal-pistachio-retention', 'narwhal-history-earlier'];

test('secure_delete is on in every store the client opens', async () => {
  const { dir, store } = await storeWithMessages(true);
  try {
    assert.equal(store.handle.pragma('secure_delete', { simple: true }), 1);
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('purged messages leave no trace on any page of the file or the WAL, nor in search; kept ones stay', async () => {
  const { dir, store, key, path } = await storeWithMessages(true);
  try {
    for (const s of SECRETS) assert.notDeepEqual(pagesContaining(path, key, s).file, [], `control: ${s} is in the file before the purge`);
    const expired = await store.exclusive(async () => purgeDue(store, T0 + 61_000, 30));
    assert.deepEqual(expired.map((e) => ({ ...e, messageIds: [...e.messageIds].sort() })), [{ conversationId: 'c1', messageIds: ['m-disappearing-1', 'm-old-1'] }]);
    flushFreedPages(store);
    for (const s of SECRETS) assert.deepEqual(pagesContaining(path, key, s), { file: [], wal: [] }, `${s} must be on no page`);
    assert.notDeepEqual(pagesContaining(path, key, 'otter-blueberry-stays').file, [], 'the message that is not due stays');
    assert.deepEqual(store.messages('c1').map((m) => m.id), ['m-kept-1']);
    const hits = (w: string) => store.handle.prepare('SELECT count(*) AS n FROM message_search WHERE message_search MATCH ?').get([w]) as { n: number };
    assert.equal(hits('quokka').n, 0);
    assert.equal(hits('narwhal').n, 0);
    assert.equal(hits('otter').n, 1);
    assert.equal((store.handle.prepare('SELECT count(*) AS n FROM reactions').get() as { n: number }).n, 0);
    assert.equal((store.handle.prepare('SELECT count(*) AS n FROM message_edits').get() as { n: number }).n, 0);
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('control: the same purge with secure_delete off leaves deleted text on free pages (what the pragma prevents)', async () => {
  const { dir, store, key, path } = await storeWithMessages(false);
  try {
    await store.exclusive(async () => purgeDue(store, T0 + 61_000, 30));
    flushFreedPages(store);
    const left = SECRETS.filter((s) => pagesContaining(path, key, s).file.length > 0);
    assert.notDeepEqual(left, [], 'without secure_delete some deleted text survives in the file');
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});
