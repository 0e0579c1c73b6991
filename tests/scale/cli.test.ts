// parley-server's cluster flags (--database, --bus, --lease-key and their PARLEY_* variables): every mistake is one
// stderr line — exit 2 for usage, exit 1 for what fails at start (an unreachable database, a bad lease key) — and the
// dev IdP says it is for one node when started with --database. No services needed: nothing listens where it looks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/services.ts';

const launcher = fileURLToPath(new URL('../../server/cli/parley-server.js', import.meta.url));

function run(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [launcher, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'parley-scale-cli-'));
const leaseKey = join(dir, 'lease-key.pem');
writeFileSync(leaseKey, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
const notAKey = join(dir, 'not-a-key.pem');
writeFileSync(notAKey, generateKeyPairSync('x25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('cluster flags: usage mistakes are one line and exit 2', async () => {
  const cases: Array<[string[], RegExp, Record<string, string>?]> = [
    [['--dev-idp', '--database', 'postgres://p@127.0.0.1/parley'], /give --lease-key FILE \(or PARLEY_LEASE_KEY_FILE\)/],
    [['--dev-idp', '--data', dir, '--database', 'postgres://p@127.0.0.1/parley', '--lease-key', leaseKey], /--data and --database are exclusive/],
    [['--dev-idp', '--database', 'mysql://p@127.0.0.1/parley', '--lease-key', leaseKey], /must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [['--dev-idp', '--data', dir, '--bus', 'nats://127.0.0.1:4222'], /--bus needs --database/],
    [['--dev-idp', '--database', 'postgres://p@127.0.0.1/parley', '--lease-key', leaseKey, '--bus', 'http://127.0.0.1'], /--bus must be a nats:\/\/ or tls:\/\/ URL/],
    [['--dev-idp', '--database', 'postgres://p@127.0.0.1/parley', '--lease-key', join(dir, 'missing.pem')], /cannot read --lease-key/],
    [['--dev-idp'], /give --data DIR .* or --database URL/, { PARLEY_DATABASE_URL: '' }],
    [['--dev-idp', '--data', dir], /--bus needs --database/, { PARLEY_BUS_URL: 'nats://127.0.0.1:4222' }],
  ];
  await Promise.all(cases.map(async ([args, message, env]) => {
    const r = await run(args, env);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^parley-server: [^\n]+\n$/);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }));
});

test('an unreachable database stops the start with one line naming it (password hidden); the dev IdP warns it is for one node', async () => {
  const port = await freePort();
  const r = await run(['--dev-idp', '--port', '0'], {
    PARLEY_DATABASE_URL: `postgres://parley:hunter2@127.0.0.1:${port}/parley`, PARLEY_LEASE_KEY_FILE: leaseKey,
  });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.deepEqual(lines.length, 2, r.stderr);
  assert.match(lines[0]!, /^parley-server: warning: the dev IdP is for single-node development only/);
  assert.match(lines[1]!, new RegExp(`^parley-server: PostgreSQL at postgres://parley:\\*\\*\\*@127\\.0\\.0\\.1:${port}/parley: .*ECONNREFUSED`));
  assert.doesNotMatch(r.stderr, /hunter2/);
});

test('a lease key that is not Ed25519 stops the start with one line', async () => {
  const r = await run(['--dev-idp', '--port', '0', '--database', 'postgres://p@127.0.0.1:1/parley', '--lease-key', notAKey]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`parley-server: ${notAKey.replace(/[.\\/]/g, '\\$&')} does not hold an Ed25519 private key\\n$`));
});
