// The message-content part of the local store (migration 0003, store/message-queries.ts) on real SQLCipher
// files, and the content decoder: an older store upgrades keeping what was read and unread; edits keep
// their history; delete-for-everyone leaves only a tombstone (text, files, edits, reactions and quotes gone,
// anywhere in the store); old v1 text still decodes; an unknown kind is a placeholder, not an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '@signalapp/sqlcipher';
import * as C from '../../common/wire/content.ts';
import { LocalStore } from '../../electron/core/store/local-store.ts';
import { MIGRATIONS } from '../../electron/core/store/schema.ts';
import { MessageQueries } from '../../electron/core/store/message-queries.ts';
import { decodeContent, encodePayload, PayloadError } from '../../electron/core/payload.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'parley-content-'));
const keyHex = (k: Uint8Array) => Buffer.from(k).toString('hex');

test('an older store (schema 2) upgrades: read messages stay read, the unread ones stay unread', () => {
  const dir = tmp();
  try {
    const path = join(dir, 'parley.db');
    const key = new Uint8Array(randomBytes(32));
    const old = new Database(path);
    old.pragma(`key = "x'${keyHex(key)}'"`);
    old.exec(MIGRATIONS[0]!);
    old.exec(MIGRATIONS[1]!);
    old.pragma('user_version = 2');
    old.prepare(`INSERT INTO conversations (id, kind, peer_user_id, title, last_message_at, unread) VALUES ('dm_a', 'direct', 'u_a', 'A', 5, 2)`).run();
    const add = old.prepare(`INSERT INTO messages (id, conversation_id, sender_user_id, sender_device_id, direction, body, sent_at, received_at, status, seq)
      VALUES (?, 'dm_a', ?, 1, ?, ?, 1, 1, ?, ?)`);
    add.run(['m1', 'u_a', 'in', 'old and read', 'received', 1]);
    add.run(['m2', 'u_me', 'out', 'mine', 'delivered', 2]);
    add.run(['m3', 'u_a', 'in', 'unread one', 'received', 3]);
    add.run(['m4', 'u_a', 'in', 'unread two', 'received', 4]);
    add.run(['s1', 'u_a', 'system', 'A joined', 'received', 5]);
    old.close();

    const store = LocalStore.openWithKey(path, key);
    try {
      const byId = new Map(store.messages('dm_a').map((m) => [m.id, m]));
      assert.ok(byId.get('m1')!.readAt !== undefined, 'older than the unread count: read');
      assert.equal(byId.get('m3')!.readAt, undefined);
      assert.equal(byId.get('m4')!.readAt, undefined);
      assert.equal(byId.get('s1')!.kind, 'system');
      assert.equal(byId.get('m2')!.kind, 'message');
      const q = new MessageQueries(store);
      assert.deepEqual(q.markConversationRead('dm_a', 9).map((m) => m.id), ['m3', 'm4']);
      assert.equal(store.getConversation('dm_a')!.unread, 0);
    } finally { store.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('edits keep their history; delete for everyone leaves a tombstone and nothing of the text in the store', () => {
  const dir = tmp();
  try {
    const path = join(dir, 'parley.db');
    const store = LocalStore.openWithKey(path, new Uint8Array(randomBytes(32)));
    const q = new MessageQueries(store);
    const file: C.AttachmentPointer = {
      id: 'blobblobblobblob01', key: Buffer.alloc(64, 1).toString('base64'), digest: Buffer.alloc(32, 2).toString('base64'),
      size: 3, sha256: 'a'.repeat(64), contentType: 'text/plain', fileName: 'minutes-zebra-plum.txt',
    };
    try {
      store.ensureConversation({ id: 'dm_b', kind: 'direct', peerUserId: 'u_b', title: 'B' }, 1);
      store.addMessage({ id: 'orig', conversationId: 'dm_b', senderUserId: 'u_b', senderDeviceId: 1, direction: 'in', body: 'FIRST-cobalt-heron', sentAt: 1, receivedAt: 1, status: 'received', attachments: [file] });
      store.addMessage({
        id: 'quote', conversationId: 'dm_b', senderUserId: 'u_me', senderDeviceId: 1, direction: 'out', body: 'replying', sentAt: 2, receivedAt: 2, status: 'sent',
        replyTo: { messageId: 'orig', author: 'u_b', excerpt: 'SECOND-amber-lynx' },
      });
      q.edit('orig', 'SECOND-amber-lynx', 5);
      q.setReaction('orig', 'u_me', '👍', 6);
      q.setReaction('orig', 'u_me', '🎉', 7);
      assert.deepEqual(q.edits('orig').map((e) => e.body), ['FIRST-cobalt-heron']);
      assert.deepEqual(q.reactions(['orig']).get('orig')!.map((r) => r.emoji), ['🎉'], 'one reaction per person');
      const edited = q.find('orig')!;
      assert.equal(edited.body, 'SECOND-amber-lynx');
      assert.equal(edited.editedAt, 5);

      q.tombstone('orig');
      const gone = q.find('orig')!;
      assert.equal(gone.deleted, true);
      assert.equal(gone.body, '');
      assert.equal(gone.attachments, undefined);
      assert.deepEqual(q.edits('orig'), []);
      assert.equal(q.reactions(['orig']).size, 0);
      assert.equal(q.find('quote')!.replyTo!.excerpt, '', 'the quote of it loses its excerpt');
      // Nothing of the earlier texts is left anywhere in the store.
      for (const needle of ['FIRST-cobalt-heron', 'SECOND-amber-lynx', 'minutes-zebra-plum']) {
        const like = `%${needle}%`;
        const hits = store.handle.prepare(`SELECT (SELECT count(*) FROM messages WHERE body LIKE ? OR reply_excerpt LIKE ? OR attachments LIKE ?)
          + (SELECT count(*) FROM message_edits WHERE body LIKE ?) AS n`).get([like, like, like, like]) as { n: number };
        assert.equal(Number(hits.n), 0, needle);
      }
    } finally { store.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('decoding: v1 text still decodes, an unknown kind is a placeholder, a known kind that breaks its schema is refused', () => {
  const v1 = decodeContent(encodePayload({ v: 1, kind: 'text', messageId: 'abcdefghijklmnop', sentAt: 1, text: 'hello' }));
  assert.deepEqual(v1, { v: 1, kind: 'text', messageId: 'abcdefghijklmnop', sentAt: 1, text: 'hello' });
  const unknown = decodeContent(encodePayload({ v: 3, kind: 'poll', messageId: 'abcdefghijklmnop', sentAt: 2, question: '?' } as unknown as C.Content));
  assert.deepEqual(unknown, { kind: 'unknown', claimedKind: 'poll', messageId: 'abcdefghijklmnop', sentAt: 2 });
  assert.throws(() => decodeContent(encodePayload({ v: 2, kind: 'edit', messageId: 'abcdefghijklmnop', sentAt: 1, targetMessageId: 'x' } as unknown as C.Content)), PayloadError);
  assert.throws(() => decodeContent(encodePayload({ v: 2, kind: 'reaction', messageId: 'abcdefghijklmnop', sentAt: 1, targetMessageId: 'abcdefghijklmnop', targetAuthor: 'u_x', emoji: '' } as unknown as C.Content)), PayloadError);
});
