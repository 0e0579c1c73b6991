// What runs at every launch and every send must not read the whole messages table: with 100,000 messages
// one such read cost 0.1–0.8 s, blocking the event loop the UI and the receive loop share. Each statement
// these calls prepare is checked with EXPLAIN QUERY PLAN on a real SQLCipher store (no plain "SCAN messages";
// a scan of a small partial index is fine), and the answers are checked too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../../electron/core/store/local-store.ts';
import { FileVault } from '../../electron/core/store/vault.ts';
import { nextExpiry, purgeDue } from '../../electron/core/retention/purge.ts';

test('launch and send queries use indexes, and still find what they look for', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-launch-queries-'));
  const store = await LocalStore.open(dir, new FileVault(join(dir, 'vault')));
  try {
    const now = Date.now();
    store.bulk(() => {
      for (let c = 0; c < 5; c++) store.ensureConversation({ id: `dm_${c}`, kind: 'direct', peerUserId: `u_${c}`, title: `P${c}` }, 1);
      for (let i = 0; i < 2000; i++) {
        const c = i % 5;
        const out = i % 2 === 0;
        store.addMessage({
          id: `m${i}`, conversationId: `dm_${c}`, senderUserId: out ? 'u_me' : `u_${c}`, senderDeviceId: 1, direction: out ? 'out' : 'in',
          body: `message ${i}`, sentAt: now - (2000 - i) * 60_000, receivedAt: now - (2000 - i) * 60_000,
          status: i === 1990 ? 'queued' : i === 1996 ? 'waiting' : out ? 'delivered' : 'received',
          ...(i === 1000 ? { attachments: [{ id: 'f'.repeat(22), name: 'a.txt', size: 1, contentType: 'text/plain', key: 'k', digest: 'd' }] as never } : {}),
          ...(i === 1500 ? { expiresIn: 60, expiresAt: now - 1 } : {}),
        });
      }
    });

    const db = store.handle;
    const seen: string[] = [];
    const prepare = db.prepare.bind(db);
    (db as { prepare: typeof db.prepare }).prepare = ((sql: string, ...rest: unknown[]) => { seen.push(sql); return (prepare as (...a: unknown[]) => unknown)(sql, ...rest); }) as typeof db.prepare;

    assert.deepEqual(store.waitingMessages().map((w) => [w.id, w.status]), [['m1990', 'queued'], ['m1996', 'waiting']]);
    assert.deepEqual(store.waitingMessages('u_1').map((w) => w.id), ['m1996']);
    assert.equal(nextExpiry(store), now - 1);
    const expired = await store.exclusive(async () => purgeDue(store, now, 1));
    assert.equal(expired.flatMap((e) => e.messageIds).length, 560 + 1, 'the 560 older than a day, and the one whose timer ran out');
    assert.ok(expired.some((e) => e.messageIds.includes('m1500')));
    assert.equal(store.listConversations().length, 5);
    assert.equal(store.lastMessage('dm_4')?.id, 'm1999');
    // The attachment sweep's query (attachments/attachments.ts).
    assert.equal(db.prepare("SELECT attachments FROM messages WHERE attachments IS NOT NULL AND attachments != ''").all().length, 1);

    (db as { prepare: typeof db.prepare }).prepare = prepare;
    for (const sql of new Set(seen)) {
      if (!/\bmessages\b/.test(sql) || /^\s*(DELETE|UPDATE|INSERT)/i.test(sql)) continue;
      const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>).map((r) => r.detail);
      const fullScan = plan.find((d) => /^SCAN (messages|m)\b/.test(d) && !/USING (COVERING )?INDEX messages_(pending|with_files)\b/.test(d));
      assert.equal(fullScan, undefined, `${sql.replace(/\s+/g, ' ')}\n  plan: ${plan.join(' | ')}`);
    }
    assert.ok(seen.length >= 6, 'the statements were seen');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
