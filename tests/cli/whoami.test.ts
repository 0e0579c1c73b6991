// `parley whoami` takes a short path (electron/cli/commands/whoami.ts: no messenger, no Signal library) and
// still applies retention at launch like every other command: a message past its timer or older than the
// org's messagesDays is gone after it ran. Real server with the dev IdP, real CLI processes, real SQLCipher.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { LocalStore } from '../../electron/core/store/local-store.ts';
import { defaultVault } from '../../electron/core/account/registration.ts';
import { RULES_META } from '../../electron/core/retention/rules.ts';
import { ok, parley, startDevServer, tempDir } from '../e2e/harness.ts';

let server: RunningServer;
let root: string;
const DAY = 86_400_000;

before(async () => {
  root = tempDir('whoami');
  server = await startDevServer(join(root, 'server'));
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function withStore<T>(profile: string, fn: (s: LocalStore) => T | Promise<T>): Promise<T> {
  const store = await LocalStore.open(profile, defaultVault(profile));
  try { return await fn(store); } finally { store.close(); }
}

function addMessage(store: LocalStore, id: string, at: number, expiresAt?: number): void {
  store.ensureConversation({ id: 'c_whoami', kind: 'direct', peerUserId: 'u_whoamipeer', title: 'Peer' }, at);
  store.addMessage({
    id, conversationId: 'c_whoami', senderUserId: 'u_whoamipeer', senderDeviceId: 1, direction: 'in', body: `text of ${id}`,
    sentAt: at, receivedAt: at, status: 'received', ...(expiresAt ? { expiresIn: 60, expiresAt } : {}),
  });
}

const ids = (profile: string) => withStore(profile, (s) => s.messages('c_whoami', 100).map((m) => m.id));

test('whoami prints the account (text and --json) and fails clearly without a profile', async () => {
  const profile = join(root, 'alice');
  await ok(['--profile', profile, 'login', '--server', server.url, '--user', 'alice']);
  const text = await ok(['--profile', profile, 'whoami']);
  assert.match(text, /^Alice .*<alice@acme\.test>\nuser u_\S+ · device 1\nserver http:\/\/127\.0\.0\.1:\d+\nissuer /);
  const json = JSON.parse(await ok(['--profile', profile, 'whoami', '--json'])) as Record<string, unknown>;
  assert.equal(json.email, 'alice@acme.test');
  assert.equal(json.deviceId, 1);
  assert.equal(json.vault, 'file');
  assert.equal(json.credential, undefined, 'the server credential is never printed');
  const none = await parley(['--profile', join(root, 'nobody'), 'whoami']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^parley: no Parley profile at .*nobody; sign in first/);
});

test('whoami applies retention at launch: expired timers and messages older than the org allows are deleted', async () => {
  const profile = join(root, 'bob');
  await ok(['--profile', profile, 'login', '--server', server.url, '--user', 'bob']);
  const now = Date.now();
  await withStore(profile, (s) => s.bulk(() => {
    addMessage(s, 'keep-recent', now - 1000);
    addMessage(s, 'timer-ran-out', now - 5000, now - 1000);
    addMessage(s, 'timer-running', now - 5000, now + 3_600_000);
  }));
  await ok(['--profile', profile, 'whoami']);
  assert.deepEqual(await ids(profile), ['keep-recent', 'timer-running']);

  // The org keeps messages 30 days (as last fetched with the policy): an older one goes at the next launch.
  await withStore(profile, async (s) => {
    await s.exclusive(async () => s.setJson(RULES_META, { messagesDays: 30 }));
    s.bulk(() => addMessage(s, 'too-old', now - 31 * DAY));
  });
  assert.deepEqual((await ids(profile)).sort(), ['keep-recent', 'timer-running', 'too-old']);
  await ok(['--profile', profile, 'whoami']);
  assert.deepEqual(await ids(profile), ['keep-recent', 'timer-running']);
});
