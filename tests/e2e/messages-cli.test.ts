// The message commands of the real `parley` CLI against the real server and dev IdP: send --json and
// --reply-to, react, edit, delete, read, history, and receive --json reporting each kind. Bad input
// (someone else's message, an unknown id, not an emoji) exits 2 with one line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { jsonLines, ok, parley, startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const as = (who: string, ...args: string[]) => ['--profile', join(root, who), ...args];

before(async () => {
  root = tempDir('messages-cli');
  server = await startDevServer(join(root, 'server'));
  for (const [who, user] of [['alice', 'alice'], ['alice2', 'alice'], ['bob', 'bob'], ['dave', 'dave']] as const) {
    await ok(as(who, 'login', '--server', server.url, '--user', user));
  }
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('send --json, --reply-to, react, edit, delete for everyone, read and history; receive --json has every kind', async () => {
  const sent = JSON.parse(await ok(as('alice', 'send', 'bob@acme.test', 'Draft is ready for review', '--json'))) as Record<string, unknown>;
  assert.deepEqual(Object.keys(sent), ['messageId', 'conversationId', 'devices']);
  assert.equal(sent.devices, 2, 'bob\'s device and alice\'s second one');
  const id = String(sent.messageId);
  const [got] = jsonLines(await ok(as('bob', 'receive', '--json')));
  assert.equal(got!.kind, 'message');
  assert.equal(got!.text, 'Draft is ready for review');
  assert.deepEqual(got!.attachments, []);
  await ok(as('alice2', 'receive'));

  const reply = JSON.parse(await ok(as('bob', 'send', 'alice@acme.test', 'On it', '--reply-to', id, '--json'))) as Record<string, unknown>;
  await ok(as('bob', 'react', id, '👍'));
  const atAlice = jsonLines(await ok(as('alice', 'receive', '--json')));
  assert.deepEqual(atAlice.map((x) => x.kind), ['message', 'reaction']);
  assert.equal(atAlice[0]!.replyTo, id);
  assert.equal(atAlice[0]!.messageId, reply.messageId);
  assert.deepEqual([atAlice[1]!.targetMessageId, atAlice[1]!.emoji], [id, '👍']);

  await ok(as('alice', 'edit', id, 'Draft v2 is ready for review'));
  const edits = jsonLines(await ok(as('bob', 'receive', '--json')));
  assert.deepEqual(edits.map((x) => [x.kind, x.targetMessageId, x.text]), [['edit', id, 'Draft v2 is ready for review']]);
  assert.deepEqual(jsonLines(await ok(as('alice2', 'receive', '--json'))).map((x) => [x.kind, x.outgoing]),
    [['message', false], ['reaction', false], ['edit', true]], 'alice\'s other device follows');

  // Bad input: not yours, not there, not an emoji, nothing to send.
  for (const [args, pattern] of [
    [as('bob', 'edit', id, 'hijacked'), /only edit your own/],
    [as('bob', 'delete', id, '--for-everyone'), /only delete your own/],
    [as('alice', 'edit', 'AAAAAAAAAAAAAAAAAAAAAA', 'x'), /no message with id/],
    [as('alice', 'react', 'AAAAAAAAAAAAAAAAAAAAAA', '👍'), /no message with id/],
    [as('bob', 'react', id, 'yes'), /not a single emoji/],
    [as('bob', 'send', 'alice@acme.test'), /takes 2 arguments/],
  ] as const) {
    const r = await parley([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }

  const dm = String(sent.conversationId);
  await ok(as('bob', 'read', 'alice@acme.test'));
  const reads = jsonLines(await ok(as('alice', 'receive', '--json')));
  assert.deepEqual(reads.map((x) => [x.kind, x.targetMessageId, x.conversationId]), [['read', id, dm]]);

  await ok(as('alice', 'delete', id, '--for-everyone'));
  assert.deepEqual(jsonLines(await ok(as('bob', 'receive', '--json'))).map((x) => [x.kind, x.targetMessageId]), [['delete', id]]);
  const history = jsonLines(await ok(as('bob', 'history', 'alice@acme.test', '--json')));
  const deleted = history.find((h) => h.messageId === id)!;
  assert.equal(deleted.deleted, true);
  assert.equal(deleted.text, undefined);
  assert.deepEqual(deleted.reactions, []);
  const mine = history.find((h) => h.messageId === reply.messageId)!;
  assert.equal(mine.replyTo, id);
  assert.equal(mine.outgoing, true);
  const atAliceHistory = jsonLines(await ok(as('alice', 'history', dm, '--limit', '1', '--json')));
  assert.equal(atAliceHistory.length, 1);
  assert.match(await ok(as('bob', 'history', 'alice@acme.test')), /This message was deleted/);

  // Delete for me: gone here only.
  await ok(as('bob', 'delete', String(reply.messageId)));
  assert.equal(jsonLines(await ok(as('bob', 'history', 'alice@acme.test', '--json'))).some((h) => h.messageId === reply.messageId), false);
  assert.equal(jsonLines(await ok(as('alice', 'history', 'bob@acme.test', '--json'))).some((h) => h.messageId === reply.messageId), true);
});

test('groups: send --group --json, a reply and reactions, history --group with reactions', async () => {
  await ok(as('alice', 'groups', 'create', 'Design', '--members', 'bob@acme.test,dave@acme.test'));
  const q = JSON.parse(await ok(as('alice', 'send', '--group', 'Design', 'Blue or green?', '--json'))) as Record<string, unknown>;
  assert.match(String(q.conversationId), /^g_/);
  await ok(as('bob', 'receive'));
  await ok(as('dave', 'receive'));
  await ok(as('bob', 'send', '--group', 'Design', 'Green', '--reply-to', String(q.messageId)));
  await ok(as('dave', 'react', String(q.messageId), '💚'));
  const atAlice = jsonLines(await ok(as('alice', 'receive', '--json')));
  assert.deepEqual(atAlice.map((x) => [x.kind, x.group]), [['message', q.conversationId], ['reaction', q.conversationId]]);
  assert.equal(atAlice[0]!.replyTo, q.messageId);
  const h = jsonLines(await ok(as('alice', 'history', '--group', 'Design', '--json')));
  const first = h.find((x) => x.messageId === q.messageId)!;
  assert.deepEqual((first.reactions as { emoji: string; from: string }[]).map((r) => [r.emoji, r.from]), [['💚', 'dave@acme.test']]);
  assert.equal((await parley(as('alice', 'history', '--group', 'No such group'))).code, 2);
});
