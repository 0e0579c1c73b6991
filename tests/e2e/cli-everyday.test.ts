// Everyday E7 / E12: the CLI says what happened in a sentence. An empty receive says "no new messages";
// a wiped profile's login says how to start over; a refusal by the server exits 5 (not 2, "bad usage");
// a negative --wait says it wants a positive number; a typo names the nearest command; a message to
// someone with no active device says it waits for their first device instead of "sent … (1 device)".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { jsonLines, ok, parley, startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const profile = (name: string) => join(root, name);
const as = (name: string, ...args: string[]) => ['--profile', profile(name), ...args];

before(async () => {
  root = tempDir('cli-everyday');
  server = await startDevServer(join(root, 'server'));
  for (const [name, user] of [['alice', 'alice'], ['alice2', 'alice'], ['bob', 'bob'], ['carol', 'carol']]) {
    await ok(as(name!, 'login', '--server', server.url, '--user', user!));
  }
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('an empty receive says "no new messages" on stderr and prints nothing on stdout', async () => {
  await ok(as('bob', 'receive'));
  const r = await parley(as('bob', 'receive'));
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'no new messages\n');
  const json = await parley(as('bob', 'receive', '--json'));
  assert.equal(json.stdout, '', '--json output stays pure JSON lines');
});

test('bad usage names what is wanted: a positive --wait, the nearest command', async () => {
  for (const args of [as('bob', 'receive', '--wait', '-5'), as('bob', 'receive', '--wait=-5')]) {
    const r = await parley(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^parley: --wait takes seconds: a positive number up to 86400, got "-5"\n$/);
  }
  const typo = await parley(as('bob', 'recieve'));
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown command "recieve"; did you mean "receive"\?/);
  assert.match((await parley(as('bob', 'grups', 'list'))).stderr, /did you mean "groups"\?/);
  assert.doesNotMatch((await parley(as('bob', 'fly'))).stderr, /did you mean/, 'nothing near enough: no guess');
});

test('a refusal by the server exits 5 with its sentence', async () => {
  const r = await parley(as('bob', 'admin', 'devices'));
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /^parley: server: Only organization administrators may do this\.\n$/);
});

test('send to someone with no active device: says it waits, and it reaches their first device', async () => {
  // dave is in the directory but has never signed in; alice2's copy must not make this "sent (1 device)".
  const r = await parley(as('alice', 'send', 'dave@acme.test', 'welcome aboard'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'not delivered: dave@acme.test has no active device yet. The message waits and is sent when they sign in on one (checked at your next send or receive).\n');
  assert.deepEqual(jsonLines(await ok(as('alice2', 'receive', '--json'))).map((m) => [m.text, m.outgoing]), [['welcome aboard', true]]);

  await ok(as('dave', 'login', '--server', server.url, '--user', 'dave'));
  await ok(as('alice', 'receive'));
  assert.deepEqual(jsonLines(await ok(as('dave', 'receive', '--json'))).map((m) => m.text), ['welcome aboard']);
});

test('a wiped profile\'s login says how to start over', async () => {
  const { stdout } = await parley(as('carol', 'admin', 'devices', '--user', 'bob@acme.test', '--json'));
  const [bob] = JSON.parse(stdout) as Array<{ devices: Array<{ id: string; state: string }> }>;
  const device = bob!.devices.find((d) => d.state === 'active')!.id;
  await ok(as('carol', 'admin', 'wipe', '--device', device, '--reason', 'lost'));
  assert.equal((await parley(as('bob', 'receive'))).code, 3);
  const r = await parley(as('bob', 'login', '--server', server.url, '--user', 'bob'));
  assert.equal(r.code, 3);
  assert.match(r.stderr, /wiped.*To sign in again, use a new profile folder \(--profile\) or delete .*bob first\.\n$/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
