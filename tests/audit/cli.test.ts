// `parley admin audit [--since ISO] [--json | --csv]`: the audit log as `{at, actor, action, target, details}`,
// from a real CLI profile against a real server. A device name is chosen by its owner, so it is hostile input:
// in CSV it must not become a spreadsheet formula, and on the terminal its control characters are shown, not obeyed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { ok, parley, startDevServer, tempDir } from '../e2e/harness.ts';
import { registerDevice } from '../server/helpers.ts';
import { csvCell } from '../../electron/core/admin/audit-view.ts';

let server: RunningServer;
let root: string;
const admin = () => join(root, 'carol');
let startedAt = 0;

before(async () => {
  root = tempDir('audit-cli');
  server = await startDevServer(join(root, 'server'));
  await ok(['--profile', admin(), 'login', '--server', server.url, '--user', 'carol']);
  startedAt = Date.now();
  // A hostile device name: a formula for spreadsheets, and an escape sequence for terminals.
  await registerDevice(server.url, 'bob', { name: '=HYPERLINK("http://evil.test","x")' });
  await registerDevice(server.url, 'dave');
  await ok(['--profile', admin(), 'admin', 'wipe', '--user', 'dave@acme.test', '--reason', 'lost\x1b[2J on the train']);
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

interface View { at: string; actor: string; action: string; target: string; details: Record<string, unknown> }

test('--json: exactly {at, actor, action, target, details}, newest first', async () => {
  const views = JSON.parse(await ok(['--profile', admin(), 'admin', 'audit', '--json'])) as View[];
  for (const v of views) assert.deepEqual(Object.keys(v).sort(), ['action', 'actor', 'at', 'details', 'target']);
  const wipe = views.find((v) => v.action === 'wipe requested')!;
  assert.deepEqual([wipe.actor, wipe.target, wipe.details.reason, wipe.details.outcome],
    ['carol@acme.test', 'dave@acme.test device 1', 'lost\x1b[2J on the train', 'pending: device will confirm']);
  assert.match(wipe.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  const times = views.map((v) => Date.parse(v.at));
  assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
  const reg = views.find((v) => v.action === 'device registered' && v.actor === 'carol@acme.test');
  assert.equal(reg?.target, 'carol@acme.test device 1');
});

test('--since keeps entries at or after it; a date means midnight UTC', async () => {
  const all = JSON.parse(await ok(['--profile', admin(), 'admin', 'audit', '--json'])) as View[];
  const since = new Date(startedAt).toISOString();
  const recent = JSON.parse(await ok(['--profile', admin(), 'admin', 'audit', '--since', since, '--json'])) as View[];
  assert.deepEqual(recent, all.filter((v) => Date.parse(v.at) >= startedAt));
  assert.ok(recent.length >= 3 && recent.length < all.length, `${recent.length} of ${all.length}`);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  assert.deepEqual(JSON.parse(await ok(['--profile', admin(), 'admin', 'audit', '--since', tomorrow, '--json'])), []);
});

test('--csv: a header and one spreadsheet-safe row per entry', async () => {
  const lines = (await ok(['--profile', admin(), 'admin', 'audit', '--csv'])).trimEnd().split('\n');
  assert.equal(lines[0], 'at,actor,action,target,details');
  const registered = lines.find((l) => l.includes('device registered') && l.includes('bob@acme.test'));
  assert.ok(registered, lines.join('\n'));
  // The details cell is quoted JSON; the device name inside it cannot start a cell as a formula.
  for (const cell of lines.slice(1).flatMap((l) => l.split(','))) assert.doesNotMatch(cell, /^"?[=+@-]/, cell);
  assert.ok(!lines.join('\n').includes('\x1b'), 'no raw escape reaches the terminal');
  assert.ok(registered.includes('=HYPERLINK'), 'the name is there, inside the quoted details cell');
  // Any cell that would start with a formula character gets a leading quote.
  assert.deepEqual(['=1+1', '+1', '-1', '@SUM(A1)', 'plain', 'a,b'].map(csvCell), ["'=1+1", "'+1", "'-1", "'@SUM(A1)", 'plain', '"a,b"']);
});

test('plain text shows the reason with the escape made visible; bad usage is one line, exit 2', async () => {
  const text = await ok(['--profile', admin(), 'admin', 'audit']);
  assert.match(text, /wipe requested\s+dave@acme\.test device 1 {2}by carol@acme\.test {2}"lost\\x1b\[2J on the train" → pending/);
  assert.ok(!text.includes('\x1b'));
  for (const args of [['--since', 'yesterday'], ['--since', '2026-13-45'], ['--json', '--csv']]) {
    const r = await parley(['--profile', admin(), 'admin', 'audit', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^parley: [^\n]+\n$/);
    assert.equal(r.stdout, '');
  }
});
