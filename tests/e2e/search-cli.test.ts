// `parley search` and `parley chats` through the real CLI, a real server with the dev IdP, and real
// SQLCipher profiles: hits carry {messageId, conversationId, from, text, sentAt}; hostile queries are
// words, not FTS5 syntax; chat settings are kept and listed; bad usage exits 2 with one sentence.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { jsonLines, ok, parley, startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const as = (name: string, ...args: string[]) => ['--profile', join(root, name), ...args];

before(async () => {
  root = tempDir('search-cli');
  server = await startDevServer(join(root, 'server'));
  for (const name of ['alice', 'bob', 'carol']) await ok(as(name, 'login', '--server', server.url, '--user', name));
  await ok(as('alice', 'send', 'bob@acme.test', 'the quarterly report is in the Café drive'));
  await ok(as('carol', 'send', 'bob@acme.test', 'quarterly numbers look fine; "foo OR bar" NEAR( the end'));
  await ok(as('bob', 'receive'));
  await ok(as('bob', 'send', 'alice@acme.test', 'thanks, reading the report now'));
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('search --json: one line per hit, newest first, with messageId, conversationId, from, text, sentAt', async () => {
  const hits = jsonLines(await ok(as('bob', 'search', 'report', '--json')));
  assert.deepEqual(hits.map((h) => [h.from, h.text]), [
    ['bob@acme.test', 'thanks, reading the report now'],
    ['alice@acme.test', 'the quarterly report is in the Café drive'],
  ]);
  for (const h of hits) {
    assert.equal(typeof h.messageId, 'string');
    assert.match(String(h.conversationId), /^[A-Za-z0-9_-]+$/);
    assert.ok(!Number.isNaN(Date.parse(String(h.sentAt))), 'sentAt is an ISO time');
  }
  assert.equal(hits[0]!.conversationId, hits[1]!.conversationId, 'both in the chat with alice');
  assert.equal(jsonLines(await ok(as('bob', 'search', 'quarterly', '--limit', '1', '--json'))).length, 1);
  assert.deepEqual(jsonLines(await ok(as('bob', 'search', 'CAFE', '--json'))).map((h) => h.from), ['alice@acme.test'], 'case and accents folded');
  const text = await ok(as('bob', 'search', 'quarterly numbers'));
  assert.match(text, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (\S.*) · \1 <carol@acme\.test>: quarterly numbers look fine/);
});

test('search input is words, never FTS5 syntax: "foo OR and NEAR( work, nothing found says so, bad --limit exits 2', async () => {
  for (const q of ['"foo OR', 'NEAR(', 'NEAR( the']) {
    const r = await parley(as('bob', 'search', q, '--json'));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jsonLines(r.stdout).map((h) => h.from), ['carol@acme.test'], q);
  }
  const none = await parley(as('bob', 'search', '(*)'));
  assert.equal(none.code, 0);
  assert.equal(none.stdout, '');
  assert.equal(none.stderr, 'no messages found\n');
  const long = await parley(as('bob', 'search', 'x'.repeat(201)));
  assert.equal(long.code, 2);
  assert.equal(long.stderr, 'parley: a search can be at most 200 characters long\n');
  for (const bad of ['0', '501', 'ten', '1.5']) {
    const r = await parley(as('bob', 'search', 'report', '--limit', bad));
    assert.equal(r.code, 2, bad);
    assert.match(r.stderr, /^parley: --limit takes a number from 1 to 500/);
  }
});

test('chats: mute --for, pin, archive by email; --archived lists them; settings persist across runs', async () => {
  const list = () => ok(as('bob', 'chats', '--json')).then((o) => JSON.parse(o) as Record<string, unknown>[]);
  assert.deepEqual((await list()).map((c) => c.email).sort(), ['alice@acme.test', 'carol@acme.test']);
  assert.match(await ok(as('bob', 'chats', 'pin', 'carol@acme.test')), /^pinned \S.*\n$/);
  assert.equal((await list())[0]!.email, 'carol@acme.test', 'pinned first');
  assert.match(await ok(as('bob', 'chats', 'mute', 'alice@acme.test', '--for', '8h')), /^muted .* until \d{4}-\d\d-\d\d \d\d:\d\d UTC\n$/);
  const alice = (await list()).find((c) => c.email === 'alice@acme.test')!;
  assert.equal(alice.muted, true);
  const until = Date.parse(String(alice.mutedUntil));
  assert.ok(Math.abs(until - (Date.now() + 8 * 3600_000)) < 120_000, 'muted for about 8 hours');
  await ok(as('bob', 'chats', 'archive', String(alice.conversationId)));
  assert.deepEqual((await list()).map((c) => c.email), ['carol@acme.test']);
  const archived = JSON.parse(await ok(as('bob', 'chats', '--archived', '--json'))) as Record<string, unknown>[];
  assert.deepEqual(archived.map((c) => [c.email, c.archived, c.muted]), [['alice@acme.test', true, true]]);
  // Muted and archived: a new message from alice leaves it archived.
  await ok(as('alice', 'send', 'bob@acme.test', 'one more thing'));
  await ok(as('bob', 'receive'));
  assert.equal((JSON.parse(await ok(as('bob', 'chats', '--archived', '--json'))) as unknown[]).length, 1);
  await ok(as('bob', 'chats', 'unmute', 'alice@acme.test'));
  await ok(as('alice', 'send', 'bob@acme.test', 'and another'));
  await ok(as('bob', 'receive'));
  assert.deepEqual((await list()).map((c) => [c.email, c.archived]).sort(), [['alice@acme.test', false], ['carol@acme.test', false]], 'unmuted: a new message brings it back');
  await ok(as('bob', 'chats', 'unpin', 'carol@acme.test'));
  assert.equal((await list()).every((c) => c.pinned === false), true);
});

test('chats: bad usage and unknown chats exit 2 with one sentence', async () => {
  const cases: [string[], RegExp][] = [
    [as('bob', 'chats', 'mute', 'nobody@acme.test'), /^parley: no conversation "nobody@acme\.test" on this device/],
    [as('bob', 'chats', 'mute', 'alice@acme.test', '--for', '8x'), /^parley: --for takes a time like 30m, 8h, 2d or 1w/],
    [as('bob', 'chats', 'mute', 'alice@acme.test', '--for', '9999w'), /at most a year/],
    [as('bob', 'chats', 'pin', 'alice@acme.test', '--for', '8h'), /^parley: option --for does not apply to "chats pin"/],
    [as('bob', 'chats', 'pin'), /^parley: "chats pin" takes 1 argument, got 0/],
  ];
  for (const [args, message] of cases) {
    const r = await parley(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});
