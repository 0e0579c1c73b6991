// Notifications follow the organization's rule (policy `rules.notificationContent`) and mute, through the
// real app controller, a real server serving that policy, the dev IdP and real clients: with 'sender' the
// text never reaches a notification; a muted chat shows none; the app API's search finds the messages and
// its chat settings come back in the conversation list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { AppController, createDispatcher } from '../../electron/app/controller.ts';
import { notificationText } from '../../electron/app/notifications.ts';
import { devIdpAutoLogin } from '../../electron/core/auth/dev-login.ts';
import { defaultVault } from '../../electron/core/messenger.ts';
import type { ConversationSummary, SearchHitView } from '../../common/app-api/contract.ts';
import { ok, startDevServer, tempDir } from './harness.ts';
import { waitFor } from '../support/wait-for.ts';

test('notification text per rule: full shows sender and text, sender hides the text, none hides both', () => {
  const msg = { fromName: 'Alice Archer', text: 'the merger closes Friday', groupName: undefined };
  assert.deepEqual(notificationText('full', msg), { title: 'Alice Archer', body: 'the merger closes Friday' });
  assert.deepEqual(notificationText('sender', msg), { title: 'Alice Archer', body: 'New message' });
  assert.deepEqual(notificationText('none', msg), { title: 'Parley', body: 'New message' });
  assert.deepEqual(notificationText('full', { ...msg, groupName: 'Board' }), { title: 'Alice Archer in Board', body: 'the merger closes Friday' });
  assert.deepEqual(notificationText('none', { ...msg, groupName: 'Board' }), { title: 'Parley', body: 'New message' });
  assert.deepEqual(notificationText('full', { ...msg, text: '' }), { title: 'Alice Archer', body: 'New message' }, 'a held message shows no text');
});

test('app: policy "sender" keeps message text out of notifications; a muted chat stays quiet; search and chat settings over the app API', async () => {
  const root = tempDir('search-notify');
  // Consent on the server (the relay refusing until accepted) is another feature's: off here.
  const extra = { policy: { version: 'v1', text: 'Be kind.', rules: { notificationContent: 'sender' as const } }, requireConsent: false };
  const server = await startDevServer(join(root, 'server'), 0, extra);
  const profile = join(root, 'bob');
  const notes: { title: string; body: string }[] = [];
  const c = new AppController({
    profileDir: profile, serverUrl: server.url, vault: defaultVault(profile), openExternal: async () => {},
    notify: (title, body) => notes.push({ title, body }),
  });
  const as = (name: string, ...args: string[]) => ['--profile', join(root, name), ...args];
  try {
    const call = createDispatcher(c);
    await c.start();
    const { url } = await call('auth.signIn', {}) as { url: string };
    await devIdpAutoLogin('bob')(url);
    await waitFor(() => c.getState().phase === 'consent', { timeoutMs: 15_000, what: 'the consent phase' });
    await call('policy.accept', { version: 'v1' });
    await waitFor(() => c.getState().connection === 'online', { timeoutMs: 15_000, what: 'the delivery socket' });
    for (const name of ['alice', 'carol']) await ok(as(name, 'login', '--server', server.url, '--user', name));

    await ok(as('alice', 'send', 'bob@acme.test', 'confidential: the merger closes Friday'));
    await waitFor(() => notes.length === 1, { what: 'the first notification' });
    assert.equal(notes[0]!.body, 'New message');
    assert.match(notes[0]!.title, /^Alice/);
    assert.equal(JSON.stringify(notes).includes('merger'), false, 'the text never reaches a notification');

    const list = await call('conversations.list', {}) as ConversationSummary[];
    const alice = list.find((x) => x.peerEmail === 'alice@acme.test')!;
    const muted = await call('chats.setMuted', { conversationId: alice.id, muted: true, forSeconds: 3600 }) as ConversationSummary;
    assert.equal(muted.muted, true);
    assert.ok(muted.mutedUntil !== null && muted.mutedUntil! > Date.now());
    await ok(as('alice', 'send', 'bob@acme.test', 'second merger note'));
    // carol's message is queued after alice's: once its notification is shown, alice's was handled (quietly).
    await ok(as('carol', 'send', 'bob@acme.test', 'lunch?'));
    await waitFor(() => notes.length >= 2, { what: "carol's notification" });
    assert.equal(notes.length, 2, 'the muted chat showed no notification');
    assert.match(notes[1]!.title, /^Carol/);

    const hits = await call('search.messages', { query: 'merger' }) as SearchHitView[];
    assert.deepEqual(hits.map((h) => h.text), ['second merger note', 'confidential: the merger closes Friday']);
    assert.deepEqual(hits.map((h) => h.text.slice(...h.matches[0]!)), ['merger', 'merger']);
    assert.ok(hits.every((h) => h.conversationId === alice.id && /^Alice/.test(h.senderName) && h.conversationTitle === alice.title));
    await assert.rejects(call('search.messages', { query: 'x'.repeat(201) }), /invalid input/);

    await call('chats.setDraft', { conversationId: alice.id, text: 'about the merger…' });
    await call('chats.setPinned', { conversationId: alice.id, pinned: true });
    const after = (await call('conversations.list', {}) as ConversationSummary[]).find((x) => x.id === alice.id)!;
    assert.deepEqual([after.pinned, after.muted, after.archived, after.draft], [true, true, false, 'about the merger…']);
    await assert.rejects(call('chats.setPinned', { conversationId: 'dm_nope', pinned: true }), /no such conversation/);
  } finally {
    await c.stop();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
