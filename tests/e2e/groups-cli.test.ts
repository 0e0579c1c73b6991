// The `parley groups …` and `send --group` commands as admins' scripts use them: real CLI processes,
// real server and dev IdP, real profiles. Command names, flags, exit codes and JSON fields are contracts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { jsonLines, ok, parley, startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const profile = (who: string) => join(root, who);
const as = (who: string, ...args: string[]) => ['--profile', profile(who), ...args];

before(async () => {
  root = tempDir('groups-cli');
  server = await startDevServer(join(root, 'server'));
  for (const who of ['alice', 'bob', 'dave']) await ok(as(who, 'login', '--server', server.url, '--user', who));
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('groups create/list/members/promote/remove and send --group; receive --json has the group', { timeout: 300_000 }, async () => {
  const created = await ok(as('alice', 'groups', 'create', 'Launch', '--members', 'bob@acme.test, dave@acme.test'));
  assert.match(created, /^created group Launch \(g_[A-Za-z0-9_-]{22}\) with 3 members\n$/);

  const list = JSON.parse(await ok(as('alice', 'groups', 'list', '--json'))) as Array<Record<string, unknown>>;
  const launch = list.find((g) => g.name === 'Launch')!;
  assert.equal(launch.role, 'owner');
  assert.equal(launch.announcement, false);
  assert.match(String(launch.id), /^g_/);

  const members = JSON.parse(await ok(as('bob', 'groups', 'members', 'Launch', '--json'))) as Array<Record<string, unknown>>;
  assert.deepEqual(members.map((m) => [m.email, m.role]).sort(), [['alice@acme.test', 'owner'], ['bob@acme.test', 'member'], ['dave@acme.test', 'member']]);

  assert.match(await ok(as('alice', 'send', '--group', 'Launch', 'kickoff at nine')), /^sent to group Launch \(2 devices\)\n$/);
  const got = jsonLines(await ok(as('bob', 'receive', '--json')));
  const msg = got.find((m) => m.text === 'kickoff at nine');
  assert.ok(msg, JSON.stringify(got));
  assert.equal(msg.group, launch.id);
  assert.equal(msg.groupName, 'Launch');
  assert.equal(msg.from, 'alice@acme.test');
  assert.equal(msg.conversationId, launch.id);
  // The same command without --json reads naturally.
  await ok(as('alice', 'send', '--group', String(launch.id), 'second'));
  assert.match(await ok(as('dave', 'receive')), /Alice Archer <alice@acme\.test> in Launch: second/);

  // A plain member may not remove others: the server's 403 becomes exit 5 (not allowed) with its sentence.
  const refused = await parley(as('bob', 'groups', 'remove', 'Launch', 'dave@acme.test'));
  assert.equal(refused.code, 5, refused.stderr);
  assert.match(refused.stderr, /^parley: server: Only group admins and organization administrators may do this\.\n$/);

  assert.match(await ok(as('alice', 'groups', 'promote', 'Launch', 'bob@acme.test')), /bob@acme\.test is now an admin of Launch/);
  assert.match(await ok(as('bob', 'groups', 'remove', 'Launch', 'dave@acme.test')), /removed dave@acme\.test from Launch/);
  const after = JSON.parse(await ok(as('alice', 'groups', 'members', 'Launch', '--json'))) as Array<Record<string, unknown>>;
  assert.deepEqual(after.map((m) => [m.email, m.role]).sort(), [['alice@acme.test', 'owner'], ['bob@acme.test', 'admin']]);
  assert.match(await ok(as('alice', 'send', '--group', 'Launch', 'without dave')), /\(1 device\)/);
  assert.deepEqual(jsonLines(await ok(as('dave', 'receive', '--json'))).map((m) => m.text), []);
  const daveTries = await parley(as('dave', 'send', '--group', String(launch.id), 'hello?'));
  assert.equal(daveTries.code, 5, daveTries.stderr);
});

test('confidential and announcement groups from the CLI', { timeout: 300_000 }, async () => {
  assert.match(await ok(as('alice', 'groups', 'create', 'Customer X', '--members', 'bob@acme.test,dave@acme.test', '--confidential')), /; confidential\n$/);
  const seen = JSON.parse(await ok(as('bob', 'groups', 'members', 'Customer X', '--json'))) as Array<Record<string, unknown>>;
  assert.deepEqual(seen.map((m) => m.email).sort(), ['alice@acme.test', 'bob@acme.test'], 'bob cannot list dave');
  assert.match(await ok(as('bob', 'groups', 'members', 'Customer X')), /3 members, 2 shown \(confidential group\)/);

  assert.match(await ok(as('alice', 'groups', 'create', 'News', '--members', 'bob@acme.test', '--announcement')), /; announcement\n$/);
  const post = await parley(as('bob', 'send', '--group', 'News', 'may I?'));
  assert.equal(post.code, 5);
  assert.match(post.stderr, /only admins can post in News/);
});

test('groups: bad usage is a one-line error with exit 2', { timeout: 120_000 }, async () => {
  const cases: Array<[string[], RegExp]> = [
    [as('alice', 'groups'), /groups needs a subcommand/],
    [as('alice', 'groups', 'frobnicate'), /unknown command "groups frobnicate"/],
    [as('alice', 'groups', 'create', 'X'), /needs --members/],
    [as('alice', 'groups', 'create', 'X', '--members', 'not-an-email'), /not an email address in --members: not-an-email/],
    [as('alice', 'groups', 'members', 'No such group'), /you are in no group named "No such group"/],
    [as('alice', 'send', '--group', 'Launch', 'a', 'b'), /"send" takes 1 argument, got 2/],
    [as('alice', 'groups', 'list', '--members', 'x@y.z'), /option --members does not apply to "groups list"/],
  ];
  for (const [args, message] of cases) {
    const r = await parley(args);
    assert.equal(r.code, 2, `${args.slice(2).join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});
