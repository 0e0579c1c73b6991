// `parley-release` as a user runs it: child processes, exit codes 0/1/2, one-line stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'electron/cli/parley-release.js');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function oneLineError(r: ReturnType<typeof run>, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit ${r.code}, stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^parley-release: [^\n]+\n$/, `one line: ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr, pattern);
}

const dir = mkdtempSync(join(tmpdir(), 'parley-release-cli-'));
const keys = join(dir, 'keys');
const keys2 = join(dir, 'keys2');
const artifact = join(dir, 'Parley-Setup-2.0.0.exe');
writeFileSync(artifact, Buffer.alloc(300_000, 0x5a));

test('keygen writes a 0600 private PEM and a base64 public key, and refuses to overwrite', () => {
  const r = run(['keygen', keys]);
  assert.equal(r.code, 0, r.stderr);
  const mode = statSync(join(keys, 'update-private.pem')).mode & 0o777;
  assert.equal(mode, 0o600);
  assert.match(readFileSync(join(keys, 'update-private.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  assert.match(readFileSync(join(keys, 'update-public.txt'), 'utf8'), /^[A-Za-z0-9+/]{43}=\n$/);
  const before = readFileSync(join(keys, 'update-private.pem'), 'utf8');
  oneLineError(run(['keygen', keys]), 1, /refusing to overwrite/);
  assert.equal(readFileSync(join(keys, 'update-private.pem'), 'utf8'), before);
  assert.equal(run(['keygen', keys2]).code, 0);
});

test('sign → verify: valid (exit 0), with the key file or the base64 key itself, and --installed older', () => {
  const s = run(['sign', '--key', join(keys, 'update-private.pem'), artifact, '--version', '2.0.0', '--channel', 'stable']);
  assert.equal(s.code, 0, s.stderr);
  assert.ok(existsSync(`${artifact}.sig`));
  const pubFile = join(keys, 'update-public.txt');
  for (const pub of [pubFile, readFileSync(pubFile, 'utf8').trim()]) {
    const v = run(['verify', '--public-key', pub, artifact, '--version', '2.0.0', '--channel', 'stable']);
    assert.deepEqual([v.code, v.stdout, v.stderr], [0, 'valid\n', '']);
  }
  const v = run(['verify', '--public-key', pubFile, artifact, '--version', '2.0.0', '--channel', 'stable', '--installed', '1.9.3']);
  assert.deepEqual([v.code, v.stdout], [0, 'valid\n']);
});

test('sign --key - reads the PEM from PARLEY_UPDATE_PRIVATE_KEY (never from disk)', () => {
  const beta = join(dir, 'Parley-2.1.0-beta.1.AppImage');
  writeFileSync(beta, 'beta build');
  const pem = readFileSync(join(keys, 'update-private.pem'), 'utf8');
  assert.equal(run(['sign', '--key', '-', beta, '--version', '2.1.0-beta.1', '--channel', 'beta'], { PARLEY_UPDATE_PRIVATE_KEY: pem }).code, 0);
  const v = run(['verify', '--public-key', join(keys, 'update-public.txt'), beta, '--version', '2.1.0-beta.1', '--channel', 'beta', '--installed', '2.0.0']);
  assert.deepEqual([v.code, v.stdout], [0, 'valid\n']);
  oneLineError(run(['sign', '--key', '-', beta, '--version', '2.1.0-beta.1', '--channel', 'beta'], { PARLEY_UPDATE_PRIVATE_KEY: '' }), 2, /PARLEY_UPDATE_PRIVATE_KEY/);
  oneLineError(run(['sign', '--key', '-', beta, '--version', '2.1.0-beta.1', '--channel', 'beta'], { PARLEY_UPDATE_PRIVATE_KEY: 'garbage' }), 2, /not a readable PEM/);
});

test('refusals exit 1 with the reason on one line of stderr', () => {
  const pub = join(keys, 'update-public.txt');
  const verify = (...extra: string[]) => run(['verify', '--public-key', pub, artifact, '--version', '2.0.0', '--channel', 'stable', ...extra]);
  oneLineError(run(['verify', '--public-key', join(keys2, 'update-public.txt'), artifact, '--version', '2.0.0', '--channel', 'stable']), 1, /does not trust/);
  oneLineError(run(['verify', '--public-key', pub, artifact, '--version', '2.0.1', '--channel', 'stable']), 1, /signature is for version 2\.0\.0/);
  oneLineError(run(['verify', '--public-key', pub, artifact, '--version', '2.0.0', '--channel', 'beta']), 1, /stable channel/);
  oneLineError(verify('--installed', '2.0.0'), 1, /already installed/);
  oneLineError(verify('--installed', '2.0.1'), 1, /downgrades are refused/);
  oneLineError(run(['verify', artifact, '--version', '2.0.0', '--channel', 'stable']), 1, /does not trust/); // default: the pinned dev key

  const malformed = join(dir, 'bad.sig');
  writeFileSync(malformed, '{"format":"parley-update-sig-v1"');
  oneLineError(verify('--sig', malformed), 1, /malformed: not JSON/);
  oneLineError(verify('--sig', join(dir, 'missing.sig')), 1, /cannot be read \(ENOENT\)/);

  const tampered = join(dir, 'tampered.exe');
  const bytes = readFileSync(artifact);
  bytes[1234] = bytes[1234]! ^ 0x01;
  writeFileSync(tampered, bytes);
  oneLineError(run(['verify', '--public-key', pub, tampered, '--version', '2.0.0', '--channel', 'stable', '--sig', `${artifact}.sig`]), 1, /hash/);
});

test('usage errors exit 2 with one line', () => {
  const priv = join(keys, 'update-private.pem');
  oneLineError(run([]), 2, /no command given/);
  oneLineError(run(['frobnicate']), 2, /unknown command "frobnicate"/);
  oneLineError(run(['sign', '--bogus', 'x']), 2, /Unknown option '--bogus'/);
  oneLineError(run(['keygen']), 2, /takes 1 argument, got 0/);
  oneLineError(run(['sign', artifact, '--version', '2.0.0', '--channel', 'stable']), 2, /needs --key/);
  oneLineError(run(['sign', '--key', priv, artifact, '--channel', 'stable']), 2, /needs --version/);
  oneLineError(run(['sign', '--key', priv, artifact, '--version', '2.0', '--channel', 'stable']), 2, /not a version/);
  oneLineError(run(['sign', '--key', priv, artifact, '--version', '2.0.0', '--channel', 'nightly']), 2, /not a channel \(stable, beta, dev\)/);
  oneLineError(run(['sign', '--key', join(dir, 'nope.pem'), artifact, '--version', '2.0.0', '--channel', 'stable']), 2, /private key file not found/);
  oneLineError(run(['sign', '--key', priv, join(dir, 'nope.exe'), '--version', '2.0.0', '--channel', 'stable']), 2, /file to sign not found/);
  oneLineError(run(['verify', '--public-key', 'AAAA', artifact, '--version', '2.0.0', '--channel', 'stable']), 2, /public key file not found/);
  oneLineError(run(['verify', '--public-key', join(keys, 'update-public.txt'), artifact, '--version', '2.0.0', '--channel', 'stable', '--installed', 'latest']), 2, /not a version/);
  oneLineError(run(['verify', '--key', priv, artifact, '--version', '2.0.0', '--channel', 'stable']), 2, /--key does not apply to "verify"/);
  const help = run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: parley-release/);
});
