// Search stays in step with what happens to messages, through the real CLI, server, dev IdP and SQLCipher
// profiles: an edit is found by its new words only, on the recipient's device and the author's; a message
// deleted for everyone leaves no trace in the recipient's search — no hit, and not one of its words left
// in the index itself (opened afterwards with the profile's own key). Message ids are base64url and may
// start with '-': they go after '--'.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { LocalStore } from '../../electron/core/store/local-store.ts';
import { defaultVault } from '../../electron/core/messenger.ts';
import { jsonLines, ok, startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const as = (name: string, ...args: string[]) => ['--profile', join(root, name), ...args];
const found = async (name: string, query: string) => jsonLines(await ok(as(name, 'search', query, '--json'))).map((h) => h.text);

/** Every term in a profile's search index (fts5vocab over the store, opened with the profile's key). */
async function indexedTerms(name: string): Promise<string[]> {
  const dir = join(root, name);
  const store = await LocalStore.open(dir, defaultVault(dir));
  try {
    store.handle.exec("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, 'message_search', 'row')");
    return (store.handle.prepare('SELECT term FROM temp.terms').all() as { term: string }[]).map((r) => r.term);
  } finally { store.close(); }
}

before(async () => {
  root = tempDir('search-delete');
  server = await startDevServer(join(root, 'server'));
  for (const name of ['alice', 'bob']) await ok(as(name, 'login', '--server', server.url, '--user', name));
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('an edit is re-indexed on both sides: the new words are found, the old ones not', async () => {
  const [sent] = jsonLines(await ok(as('alice', 'send', 'bob@acme.test', 'meet at the lighthouse', '--json')));
  await ok(as('bob', 'receive'));
  assert.deepEqual(await found('bob', 'lighthouse'), ['meet at the lighthouse']);
  await ok(as('alice', 'edit', '--', String(sent!.messageId), 'meet at the harbour instead'));
  await ok(as('bob', 'receive'));
  for (const who of ['bob', 'alice']) {
    assert.deepEqual(await found(who, 'lighthouse'), [], `${who}: the old text is not found`);
    assert.deepEqual(await found(who, 'harbour'), ['meet at the harbour instead'], `${who}: the new text is`);
  }
});

test('delete for everyone leaves no trace of the text in the recipient\'s search or index', async () => {
  const [sent] = jsonLines(await ok(as('alice', 'send', 'bob@acme.test', 'the vault combination is pomegranate-quokka', '--json')));
  await ok(as('alice', 'send', 'bob@acme.test', 'and bring the pomegranate juice'));
  await ok(as('bob', 'receive'));
  assert.equal((await found('bob', 'pomegranate')).length, 2);
  assert.ok((await indexedTerms('bob')).includes('quokka'));

  await ok(as('alice', 'delete', '--for-everyone', '--', String(sent!.messageId)));
  await ok(as('bob', 'receive'));
  assert.deepEqual(await found('bob', 'quokka'), []);
  assert.deepEqual(await found('bob', 'combination'), []);
  assert.deepEqual(await found('bob', 'pomegranate'), ['and bring the pomegranate juice'], 'the other message is still found');
  const terms = await indexedTerms('bob');
  for (const word of ['quokka', 'combination', 'vault']) assert.equal(terms.includes(word), false, `"${word}" is gone from bob's index`);
  assert.ok(terms.includes('pomegranate'), 'still indexed for the message that remains');
  assert.deepEqual(await found('alice', 'quokka'), [], 'and from the author\'s own search');
});
