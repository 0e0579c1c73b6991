// The store arms every disappearing message itself (migration 0006): expires_at = arrival + timer, by this
// device's clock whatever the sender claims as its send time, and a timer above the org's maximum (the rules
// remembered from the policy) is cut to it — a hostile or outdated sender cannot make a message outlive it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../../electron/core/store/local-store.ts';
import { FileVault } from '../../electron/core/store/vault.ts';
import { nextExpiry } from '../../electron/core/retention/purge.ts';
import { checkTimer, clampTimer, RULES_META, sanitizeRules } from '../../electron/core/retention/rules.ts';

test('expires_at is armed from arrival time and clamped to the org maximum', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-expiry-'));
  const store = await LocalStore.open(dir, new FileVault(join(dir, 'vault')));
  try {
    await store.exclusive(async () => {
      store.ensureConversation({ id: 'c1', kind: 'direct', peerUserId: 'u_bob', title: 'Bob' }, 1);
      const add = (id: string, expiresIn: number | undefined, sentAt: number, receivedAt: number) => store.addMessage({
        id, conversationId: 'c1', senderUserId: 'u_bob', senderDeviceId: 1, direction: 'in', body: id, sentAt, receivedAt, status: 'received',
        ...(expiresIn ? { expiresIn } : {}),
      });
      add('plain', undefined, 1000, 1000);
      // The sender claims a send time far in the past: the timer still starts at arrival here.
      add('timed', 3600, 0, 50_000);
      store.setJson(RULES_META, { maxDisappearingSeconds: 600 });
      add('too-long', 7 * 86400, 60_000, 60_000);
    });
    const byId = new Map(store.messages('c1').map((m) => [m.id, m]));
    assert.equal(byId.get('plain')!.expiresAt, undefined);
    assert.deepEqual([byId.get('timed')!.expiresIn, byId.get('timed')!.expiresAt], [3600, 50_000 + 3600_000]);
    assert.deepEqual([byId.get('too-long')!.expiresIn, byId.get('too-long')!.expiresAt], [600, 60_000 + 600_000], 'clamped to the org maximum');
    assert.equal(nextExpiry(store), 60_000 + 600_000);
  } finally { store.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('timer rules: the org maximum refuses with a sentence; received timers are clamped; odd policy values are ignored', () => {
  assert.throws(() => checkTimer({ maxDisappearingSeconds: 86400 }, 7 * 86400), /your organization allows disappearing messages of at most 1 day/);
  assert.throws(() => checkTimer({}, 0), /at least 1/);
  assert.throws(() => checkTimer({}, 367 * 86400), /at most 366 days/);
  checkTimer({ maxDisappearingSeconds: 86400 }, 86400);
  checkTimer({ maxDisappearingSeconds: 1 }, null);
  assert.equal(clampTimer({ maxDisappearingSeconds: 3600 }, 86400), 3600);
  assert.equal(clampTimer({ maxDisappearingSeconds: 3600 }, 30), 30);
  assert.equal(clampTimer({ maxDisappearingSeconds: 3600 }, null), null);
  assert.deepEqual(sanitizeRules({ messagesDays: 0, maxDisappearingSeconds: '5' }), {});
  assert.deepEqual(sanitizeRules({ messagesDays: 30, maxDisappearingSeconds: 3600, extra: 1 }), { messagesDays: 30, maxDisappearingSeconds: 3600 });
  assert.deepEqual(sanitizeRules(null), {});
});
