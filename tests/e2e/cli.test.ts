import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { jsonLines, ok, parley, startDevServer, startParley, tempDir } from './harness.ts';
import { waitForLine } from '../support/wait-for.ts';

let server: RunningServer;
let root: string;
const alice = () => join(root, 'alice');
const bob = () => join(root, 'bob');

before(async () => {
  root = tempDir('cli');
  server = await startDevServer(join(root, 'server'));
  await Promise.all([
    ok(['--profile', alice(), 'login', '--server', server.url, '--user', 'alice']),
    ok(['--profile', bob(), 'login', '--server', server.url, '--user', 'bob']),
  ]);
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('login created an SSO-bound device; whoami shows it without any phone number', async () => {
  const me = JSON.parse(await ok(['--profile', alice(), 'whoami', '--json'])) as Record<string, unknown>;
  assert.equal(me.email, 'alice@acme.test');
  assert.equal(me.name, 'Alice Archer');
  assert.equal(me.issuer, server.issuer);
  assert.match(String(me.userId), /^u_[A-Za-z0-9_-]{22}$/);
  assert.equal(me.deviceId, 1);
  const carol = JSON.parse(await ok(['--profile', join(root, 'carol'), 'login', '--server', server.url, '--user', 'carol']).then(() =>
    ok(['--profile', join(root, 'carol'), 'whoami', '--json']))) as Record<string, unknown>;
  assert.equal(carol.orgAdmin, true, 'carol is an org admin through the groups claim');
  assert.equal(me.orgAdmin, false);
});

test('send and receive --json: the fields scripts rely on, in order, exactly once', async () => {
  await ok(['--profile', alice(), 'send', 'bob@acme.test', 'Lunch at 12?']);
  await ok(['--profile', alice(), 'send', 'bob@acme.test', 'Zürich office, Raum 3 — 🙂']);
  const got = jsonLines(await ok(['--profile', bob(), 'receive', '--json']));
  assert.deepEqual(got.map((m) => m.text), ['Lunch at 12?', 'Zürich office, Raum 3 — 🙂']);
  for (const m of got) {
    assert.equal(m.from, 'alice@acme.test');
    assert.match(String(m.sentAt), /^\d{4}-\d\d-\d\dT/);
    assert.match(String(m.conversationId), /^dm_/);
  }
  assert.equal(got[0]!.conversationId, got[1]!.conversationId);
  assert.deepEqual(jsonLines(await ok(['--profile', bob(), 'receive', '--json'])), [], 'nothing is delivered twice');
  await ok(['--profile', bob(), 'send', 'alice@acme.test', 'Yes!']);
  const back = jsonLines(await ok(['--profile', alice(), 'receive', '--json', '--wait', '1']));
  assert.deepEqual(back.map((m) => [m.from, m.text]), [['bob@acme.test', 'Yes!']]);
  assert.equal(back[0]!.conversationId, got[0]!.conversationId, 'both sides agree on the conversation');
});

test('receive --wait picks up a message sent while it is waiting', async () => {
  const waiting = startParley(['--profile', bob(), 'receive', '--json', '--wait', '8']);
  await waitForLine(waiting.child.stderr, /^listening$/);
  await ok(['--profile', alice(), 'send', 'bob@acme.test', 'live one']);
  const r = await waiting.done;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonLines(r.stdout).map((m) => m.text), ['live one']);
  assert.equal(r.stderr, 'listening\n', 'the readiness line, once, and nothing else');
});

test('safety numbers match on both sides; mark verified; status is reported', async () => {
  const a = JSON.parse(await ok(['--profile', alice(), 'safety-number', 'bob@acme.test', '--json'])) as Record<string, unknown>;
  const b = JSON.parse(await ok(['--profile', bob(), 'safety-number', 'alice@acme.test', '--json'])) as Record<string, unknown>;
  assert.match(String(a.safetyNumber), /^(\d{5} ){11}\d{5}$/);
  assert.equal(a.safetyNumber, b.safetyNumber);
  assert.equal(a.status, 'unverified');
  await ok(['--profile', alice(), 'safety-number', 'bob@acme.test', '--mark-verified']);
  const again = JSON.parse(await ok(['--profile', alice(), 'safety-number', 'bob@acme.test', '--json'])) as Record<string, unknown>;
  assert.equal(again.status, 'verified');
  const human = await ok(['--profile', alice(), 'safety-number', 'bob@acme.test']);
  assert.match(human, /status: verified/);
});

function snapshot(dir: string): string {
  if (!existsSync(dir)) return 'absent';
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${p}:${st.size}:${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

test('bad usage and bad input: one line on stderr, non-zero exit, profile untouched', async () => {
  const before = snapshot(alice());
  const cases: [string[], number, RegExp][] = [
    [['--profile', alice()], 2, /no command/],
    [['--profile', alice(), 'fly'], 2, /unknown command "fly"/],
    [['--profile', alice(), 'send', 'bob@acme.test'], 2, /takes 2 arguments/],
    [['--profile', alice(), 'send', 'bob@acme.test', 'x', '--bogus'], 2, /bogus/],
    [['--profile', alice(), 'receive', '--wait', 'soon'], 2, /--wait takes seconds/],
    [['--profile', alice(), 'receive', '--json', '--user', 'x'], 2, /does not apply/],
    [['--profile', alice(), 'send', 'nobody@acme.test', 'hi'], 2, /no one with the email/],
    [['--profile', alice(), 'send', 'not-an-email', 'hi'], 2, /not a valid email/],
    [['--profile', alice(), 'send', 'bob@acme.test', ''], 2, /empty/],
    [['--profile', alice(), 'send', 'bob@acme.test', 'x'.repeat(8001)], 2, /longer than/],
    [['--profile', alice(), 'login', '--server', server.url, '--user', 'bob'], 2, /already signed in/],
    [['send', 'bob@acme.test', 'hi'], 2, /--profile DIR is required/],
  ];
  for (const [args, code, pattern] of cases) {
    const r = await parley(args);
    assert.equal(r.code, code, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^parley: /);
    assert.equal(r.stdout, '');
  }
  assert.equal(snapshot(alice()), before, 'the profile did not change');

  const fresh = join(root, 'never');
  for (const args of [
    ['--profile', fresh, 'whoami'],
    ['--profile', fresh, 'login', '--server', 'not a url', '--user', 'alice'],
    ['--profile', fresh, 'login', '--server', server.url, '--user', 'mallory'],
    ['--profile', fresh, 'login', '--server', 'http://127.0.0.1:1', '--user', 'alice'],
  ]) {
    const r = await parley(args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(join(fresh, 'parley.db')), false, `${args.join(' ')} must not create a store`);
  }
});
