// Org retention on the relay, through real parts: the real server (dev IdP, SQLite) with an injected clock,
// real clients sending real envelopes. An envelope nobody fetched is deleted once older than messagesDays
// (at start and by the hourly sweep); one that was fetched is already gone (deleted on its ack).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from '@signalapp/sqlcipher';
import type { RunningServer } from '../../server/app.ts';
import { DB_FILE } from '../../server/store/sqlite.ts';
import { loginNewDevice, type Messenger, type ReceivedMessage } from '../../electron/core/messenger.ts';
import { startDevServer, tempDir } from '../e2e/harness.ts';

const DAY = 24 * 60 * 60 * 1000;
let root: string;
let offset = 0;
const now = () => Date.now() + offset;
const policy = { version: 'retention-1', text: 'Work chats only.', rules: { retention: { messagesDays: 2 } } };
const open: Messenger[] = [];
let server: RunningServer;

before(async () => {
  root = tempDir('retention-server');
  server = await startDevServer(join(root, 'server'), 0, { now, policy });
});
after(async () => {
  for (const m of open) m.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function device(name: string, user: string, url = server.url): Promise<Messenger> {
  const m = await loginNewDevice(join(root, name), url, { kind: 'dev-user', username: user });
  open.push(m);
  // A policy file's policy is accepted before messaging (the server may insist: consent).
  await m.acceptPolicy(policy.version);
  return m;
}

async function drain(m: Messenger): Promise<ReceivedMessage[]> {
  const got: ReceivedMessage[] = [];
  await m.receive({ onMessage: (x) => got.push(x), receipts: false });
  return got;
}

/** The queued envelopes for a user, read from the server's database through a second connection. */
function queuedFor(userId: string): number {
  const db = new Database(join(root, 'server', DB_FILE));
  try {
    return Number((db.prepare('SELECT count(*) AS n FROM envelopes WHERE dest_user = ?').get([userId]) as { n: number }).n);
  } finally { db.close(); }
}

test('the policy\'s retention is served to clients and runs a sweep on the server', async () => {
  const res = await fetch(`${server.url}/v1/policy`);
  assert.deepEqual((await res.json() as { rules: unknown }).rules, { retention: { messagesDays: 2 } });
  assert.ok(server.retention, 'a sweeper exists when messagesDays is set');
  assert.equal(server.retention.messagesDays, 2);
});

test('an acknowledged envelope is deleted at once; an unfetched one when older than messagesDays, a newer one stays', async () => {
  const alice = await device('alice', 'alice');
  const bob = await device('bob', 'bob');
  await alice.sendText('bob@acme.test', 'fetched right away');
  assert.equal(queuedFor(bob.me.userId), 1);
  assert.deepEqual((await drain(bob)).map((m) => m.text), ['fetched right away']);
  assert.equal(queuedFor(bob.me.userId), 0, 'gone on its ack, no retention needed');

  await alice.sendText('bob@acme.test', 'nobody fetched this');
  offset += 2 * DAY - 60_000; // one minute short of the period: kept
  assert.deepEqual(await server.retention!.sweep().then((r) => r.envelopes), 0);
  await alice.sendText('bob@acme.test', 'written two days later');
  assert.equal(queuedFor(bob.me.userId), 2);
  offset += 2 * 60_000; // now the first is past the period, the second is two minutes old
  const sweptFrom = now();
  const swept = await server.retention!.sweep();
  assert.equal(swept.envelopes, 1);
  // The cut-off is the server's clock minus the period, read during the sweep (the clock keeps running).
  assert.ok(swept.before >= sweptFrom - 2 * DAY && swept.before <= now() - 2 * DAY, `cut-off ${swept.before}`);
  assert.equal(queuedFor(bob.me.userId), 1);
  assert.deepEqual((await drain(bob)).map((m) => m.text), ['written two days later']);
});

test('a server starting after the period sweeps at once (before any hourly run)', async () => {
  const dir = join(root, 'server2');
  let clock = Date.now();
  const s1 = await startDevServer(dir, 0, { now: () => clock, policy });
  const carol = await device('carol', 'carol', s1.url);
  const dave = await device('dave', 'dave', s1.url);
  await carol.sendText('dave@acme.test', 'queued before the restart');
  await s1.close();
  clock += 3 * DAY;
  const s2 = await startDevServer(dir, 0, { now: () => clock, policy });
  try {
    // The start sweep is already running; sweep() joins it and returns its result.
    assert.equal((await s2.retention!.sweep()).envelopes, 1);
  } finally {
    await s2.close();
  }
  void dave;
});

test('without messagesDays there is no sweeper and nothing expires', async () => {
  const s = await startDevServer(join(root, 'server3'), 0, { policy: { version: 'p', text: 'Plain policy.' } });
  try {
    assert.equal(s.retention, undefined);
  } finally {
    await s.close();
  }
});
