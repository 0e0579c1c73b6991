// The Linux signing scripts with a throw-away GnuPG key: detached signatures verify, the apt repository's
// InRelease/Release.gpg verify and index the package, and missing tools/variables fail with one clear line.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { root } from './helpers.ts';

const SIGN = join(root, 'build', 'scripts', 'sign-linux-packages.sh');
const REPOS = join(root, 'build', 'scripts', 'make-repos.sh');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string) =>
  spawnSync(cmd, args, { encoding: 'utf8', env, ...(cwd !== undefined ? { cwd } : {}) });

test('sign-linux-packages.sh and make-repos.sh with a throw-away key', { timeout: 120_000 }, (t) => {
  const missing = ['gpg', 'dpkg-deb', 'dpkg-scanpackages', 'bash'].filter((c) => !has(c));
  if (missing.length > 0) { console.log(`skipped: missing ${missing.join(', ')}`); t.skip(`missing ${missing.join(', ')}`); return; }
  const dir = mkdtempSync(join(tmpdir(), 'parley-gpg-'));
  try {
    const gnupg = join(dir, 'gnupg');
    mkdirSync(gnupg, { mode: 0o700 });
    const base: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', GNUPGHOME: gnupg, HOME: dir };
    let r = run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', 'test-pass', '--quick-gen-key', 'Parley Test <release@parley.invalid>', 'ed25519', 'sign', 'never'], base);
    assert.equal(r.status, 0, r.stderr);
    r = run('gpg', ['--list-secret-keys', '--with-colons'], base);
    const key = /^fpr:+([0-9A-F]+):/m.exec(r.stdout)?.[1];
    assert.ok(key, 'test key fingerprint');

    const pkgs = join(dir, 'pkgs');
    mkdirSync(join(dir, 'deb', 'DEBIAN'), { recursive: true });
    mkdirSync(pkgs);
    writeFileSync(join(dir, 'deb', 'DEBIAN', 'control'), 'Package: parley\nVersion: 0.1.0\nArchitecture: amd64\nMaintainer: Test <t@parley.invalid>\nDescription: test\n');
    assert.equal(run('dpkg-deb', ['--build', join(dir, 'deb'), join(pkgs, 'parley_0.1.0_amd64.deb')], base).status, 0);
    writeFileSync(join(pkgs, 'Parley-0.1.0-linux-x86_64.AppImage'), 'appimage');
    writeFileSync(join(pkgs, 'Parley-0.1.0-linux-x64.tar.gz'), 'tarball');

    // Clear one-line errors.
    r = run(SIGN, [pkgs], base);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^sign-linux-packages\.sh: error: environment variable PARLEY_GPG_KEY_ID is not set\n$/);
    r = run(SIGN, [pkgs], { ...base, PARLEY_GPG_KEY_ID: 'NOSUCHKEY' });
    assert.match(r.stderr, /error: no secret key 'NOSUCHKEY'/);
    const bin = join(dir, 'bin'); // bash and gpg, but no dpkg-scanpackages
    mkdirSync(bin);
    for (const tool of ['bash', 'gpg', 'dirname', 'basename']) {
      const where = run('sh', ['-c', `command -v ${tool}`], base).stdout.trim();
      symlinkSync(where, join(bin, tool));
    }
    r = run(REPOS, [pkgs, join(dir, 'repo')], { PATH: bin, GNUPGHOME: gnupg, HOME: dir, PARLEY_GPG_KEY_ID: key });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^make-repos\.sh: error: required tool 'dpkg-scanpackages' not found in PATH \(Debian\/Ubuntu: apt-get install dpkg-dev\)\n$/);

    const env = { ...base, PARLEY_GPG_KEY_ID: key, PARLEY_GPG_PASSPHRASE: 'test-pass' };
    r = run(SIGN, [pkgs], env);
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['parley_0.1.0_amd64.deb', 'Parley-0.1.0-linux-x86_64.AppImage', 'Parley-0.1.0-linux-x64.tar.gz']) {
      assert.equal(run('gpg', ['--batch', '--verify', join(pkgs, `${f}.asc`), join(pkgs, f)], base).status, 0, `${f}.asc verifies`);
    }
    writeFileSync(join(pkgs, 'Parley-0.1.0-linux-x64.tar.gz'), 'tampered');
    assert.notEqual(run('gpg', ['--batch', '--verify', join(pkgs, 'Parley-0.1.0-linux-x64.tar.gz.asc'), join(pkgs, 'Parley-0.1.0-linux-x64.tar.gz')], base).status, 0);

    const repo = join(dir, 'repo');
    r = run(REPOS, [pkgs, repo], env);
    assert.equal(r.status, 0, r.stderr);
    const dists = join(repo, 'apt', 'dists', 'stable');
    assert.equal(run('gpg', ['--batch', '--verify', join(dists, 'InRelease')], base).status, 0, 'InRelease verifies');
    assert.equal(run('gpg', ['--batch', '--verify', join(dists, 'Release.gpg'), join(dists, 'Release')], base).status, 0, 'Release.gpg verifies');
    const release = readFileSync(join(dists, 'Release'), 'utf8');
    assert.match(release, /^Architectures: amd64$/m);
    assert.match(release, /^ [0-9a-f]{64} +\d+ main\/binary-amd64\/Packages$/m);
    const packages = readFileSync(join(dists, 'main', 'binary-amd64', 'Packages'), 'utf8');
    assert.match(packages, /^Package: parley$/m);
    assert.match(packages, /^Filename: pool\/main\/parley_0\.1\.0_amd64\.deb$/m);
    assert.match(readFileSync(join(repo, 'parley-archive-keyring.asc'), 'utf8'), /BEGIN PGP PUBLIC KEY BLOCK/);
    assert.doesNotMatch(readFileSync(join(repo, 'parley-archive-keyring.asc'), 'utf8'), /PRIVATE KEY/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
