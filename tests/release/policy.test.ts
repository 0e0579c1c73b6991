// The managed policy loader on real files: good, hostile and broken policies; precedence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultPolicyPath, effectiveSettings, loadManagedPolicy, MAX_POLICY_BYTES, SAFE_POLICY, type PolicyLoadResult, type PolicyStat,
} from '../../electron/core/policy/managed-policy.ts';

const me = process.getuid!();
const root = mkdtempSync(join(tmpdir(), 'parley-policy-'));
let n = 0;
/** A policy file in its own fresh folder (0700, ours), mode 0644 unless told. */
function policyFile(content: string | Buffer, mode = 0o644): string {
  const dir = join(root, `case-${++n}`);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const p = join(dir, 'policy.json');
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
}
const load = (path: string, extra: object = {}) => loadManagedPolicy({ path, expectUid: me, platform: 'linux', ...extra });
function refusedWith(r: PolicyLoadResult, pattern: RegExp): void {
  assert.equal(r.status, 'refused');
  assert.deepEqual(r.policy, SAFE_POLICY, 'a refused policy falls back to the safe defaults');
  if (r.status === 'refused') {
    assert.match(r.problem, pattern);
    assert.match(r.problem, /^the managed policy .* was refused: .*; Parley starts with safe defaults instead$/);
    assert.ok(!r.problem.includes('\n'));
  }
}

const GOOD = {
  serverUrl: 'https://parley.acme.example/',
  issuer: 'https://login.acme.example/realms/acme',
  clientId: 'parley-desktop',
  offlineLockHours: 24,
  offlineWipeDays: 30,
  allowBasicTextKeyring: false,
  updateChannel: 'beta',
};

test('default paths per OS', () => {
  assert.equal(defaultPolicyPath('linux'), '/etc/parley/policy.json');
  assert.equal(defaultPolicyPath('darwin'), '/Library/Application Support/Parley/policy.json');
  assert.equal(defaultPolicyPath('win32'), 'C:\\ProgramData\\Parley\\policy.json');
});

test('a good policy is applied (serverUrl normalized, issuer kept exactly)', () => {
  const r = load(policyFile(JSON.stringify(GOOD, null, 2)));
  assert.equal(r.status, 'applied');
  assert.deepEqual(r.policy, { ...GOOD, serverUrl: 'https://parley.acme.example' });
  assert.deepEqual(load(policyFile('{}')).policy, {});
  assert.deepEqual(load(policyFile(JSON.stringify({ offlineWipeDays: null }))).policy, { offlineWipeDays: null });
  assert.deepEqual(load(policyFile(JSON.stringify({ serverUrl: 'http://127.0.0.1:8080' }))).policy, { serverUrl: 'http://127.0.0.1:8080' });
  // A UTF-8 BOM (Windows Notepad) is fine.
  assert.equal(load(policyFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"offlineLockHours":12}')]))).status, 'applied');
});

test('no policy file: not managed, no problem', () => {
  const r = load(join(root, 'nowhere', 'policy.json'));
  assert.deepEqual(r, { status: 'absent', path: join(root, 'nowhere', 'policy.json'), policy: {} });
});

test('malformed JSON, non-objects and non-UTF-8 are refused', () => {
  refusedWith(load(policyFile('{"serverUrl": "https://x.example",')), /not valid JSON/);
  refusedWith(load(policyFile('')), /not valid JSON/);
  refusedWith(load(policyFile('[1,2]')), /not a JSON object/);
  refusedWith(load(policyFile('null')), /not a JSON object/);
  refusedWith(load(policyFile(Buffer.from([0x7b, 0xff, 0x7d]))), /not UTF-8/);
});

test('unknown keys are refused (including prototype tricks)', () => {
  refusedWith(load(policyFile('{"serverUrl":"https://x.example","autoUpdate":false}')), /unknown key "autoUpdate"/);
  refusedWith(load(policyFile('{"__proto__":{"allowBasicTextKeyring":true}}')), /unknown key "__proto__"/);
  refusedWith(load(policyFile('{"ServerUrl":"https://x.example"}')), /unknown key "ServerUrl"/);
});

test('wrong types and out-of-range values are refused, naming the key', () => {
  const cases: [object, RegExp][] = [
    [{ offlineLockHours: '24' }, /"offlineLockHours" must be a whole number of hours/],
    [{ offlineLockHours: 1.5 }, /"offlineLockHours"/],
    [{ offlineLockHours: 0 }, /"offlineLockHours"/],
    [{ offlineWipeDays: 'never' }, /"offlineWipeDays" must be .* or null/],
    [{ allowBasicTextKeyring: 'yes' }, /"allowBasicTextKeyring" must be true or false/],
    [{ updateChannel: 'dev' }, /"updateChannel" must be "stable" or "beta"/],
    [{ clientId: '' }, /"clientId"/],
    [{ serverUrl: 42 }, /"serverUrl"/],
    [{ serverUrl: 'http://parley.acme.example' }, /"serverUrl" must be an https URL/],
    [{ serverUrl: 'http://localhost:8080' }, /"serverUrl" must be an https URL/],
    [{ serverUrl: 'not a url' }, /"serverUrl"/],
    [{ serverUrl: 'https://user:pw@parley.acme.example' }, /credentials/],
    [{ issuer: 'ftp://login.acme.example' }, /"issuer" must be an https URL/],
  ];
  for (const [value, pattern] of cases) refusedWith(load(policyFile(JSON.stringify(value))), pattern);
});

test('an oversized file is refused without being parsed', () => {
  const big = JSON.stringify({ clientId: 'x' }) + ' '.repeat(MAX_POLICY_BYTES);
  refusedWith(load(policyFile(big)), /larger than 64 KiB/);
  assert.equal(load(policyFile(`{}${' '.repeat(MAX_POLICY_BYTES - 2)}`)).status, 'applied', 'exactly 64 KiB is fine');
});

test('a symlink is refused, even to a good policy', () => {
  const target = policyFile(JSON.stringify(GOOD));
  const dir = join(root, `case-${++n}`);
  mkdirSync(dir, { mode: 0o755 });
  const link = join(dir, 'policy.json');
  symlinkSync(target, link);
  refusedWith(load(link), /symbolic link/);
  const dangling = join(dir, 'dangling.json');
  symlinkSync(join(root, 'nowhere.json'), dangling);
  refusedWith(load(dangling), /symbolic link/);
});

test('a directory or FIFO-like non-file is refused', () => {
  const dir = join(root, `case-${++n}`);
  mkdirSync(join(dir, 'policy.json'), { recursive: true, mode: 0o755 });
  refusedWith(load(join(dir, 'policy.json')), /not a regular file/);
});

test('group- or world-writable files (or folders) are refused', () => {
  refusedWith(load(policyFile(JSON.stringify(GOOD), 0o664)), /writable by group or others \(mode 0664\)/);
  refusedWith(load(policyFile(JSON.stringify(GOOD), 0o646)), /writable by group or others \(mode 0646\)/);
  const p = policyFile(JSON.stringify(GOOD));
  chmodSync(join(p, '..'), 0o777);
  refusedWith(load(p), /its folder .* is writable by group or others \(mode 0777\)/);
  // Read-only for everyone else is fine.
  assert.equal(load(policyFile(JSON.stringify(GOOD), 0o444)).status, 'applied');
});

test('a file not owned by the expected owner (root by default) is refused', () => {
  const p = policyFile(JSON.stringify(GOOD));
  if (me !== 0) {
    // Our own file, but the default expectation is root.
    refusedWith(loadManagedPolicy({ path: p, platform: 'linux' }), new RegExp(`owned by uid ${me}, not by root \\(uid 0\\)`));
  } else {
    // Running as root: give the file to nobody and keep expecting root.
    chownSync(p, 65534, 65534);
    refusedWith(loadManagedPolicy({ path: p, platform: 'linux' }), /owned by uid 65534, not by root \(uid 0\)/);
  }
  // Expecting an owner other than the actual one is refused whoever runs the test.
  refusedWith(load(policyFile(JSON.stringify(GOOD)), { expectUid: me + 1 }), new RegExp(`owned by uid ${me}, not by uid ${me + 1}`));
  // Through an injected stat function (what the loader sees): a root-owned file passes the owner check.
  const q = policyFile(JSON.stringify(GOOD));
  const asRoot = (path: string): PolicyStat => {
    const s = lstatSync(path);
    return { uid: 0, mode: s.mode, size: s.size, dev: s.dev, ino: s.ino, isFile: () => s.isFile(), isDirectory: () => s.isDirectory(), isSymbolicLink: () => s.isSymbolicLink() };
  };
  assert.equal(loadManagedPolicy({ path: q, platform: 'linux', lstat: asRoot, statDir: asRoot }).status, 'applied');
  // An injected stat that does not describe the file actually opened is caught.
  const wrongFile = (path: string): PolicyStat => ({ ...asRoot(path), ino: asRoot(path).ino + 1, isFile: () => true, isDirectory: () => false, isSymbolicLink: () => false });
  refusedWith(loadManagedPolicy({ path: q, platform: 'linux', lstat: wrongFile, statDir: asRoot }), /replaced while being read/);
  // On Windows the POSIX owner/mode checks do not apply (docs/deploy.md: ACLs on the folder).
  assert.equal(loadManagedPolicy({ path: policyFile(JSON.stringify(GOOD), 0o666), platform: 'win32', expectUid: me + 1 }).status, 'applied');
});

test('precedence: policy > command line > environment > defaults', () => {
  const none = effectiveSettings({}, { argv: [], env: {} });
  assert.deepEqual(none, { settings: { serverUrl: 'http://127.0.0.1:8080', allowBasicTextKeyring: false, updateChannel: 'stable' }, managed: [], ignored: [] });

  const env = { PARLEY_SERVER: 'https://env.example', PARLEY_ALLOW_BASIC_TEXT_KEYRING: '1', PARLEY_UPDATE_CHANNEL: 'beta' };
  assert.deepEqual(effectiveSettings({}, { argv: [], env }).settings,
    { serverUrl: 'https://env.example', allowBasicTextKeyring: true, updateChannel: 'beta' });
  const argv = ['--server', 'https://cli.example/', '--update-channel=stable'];
  assert.deepEqual(effectiveSettings({}, { argv, env }).settings,
    { serverUrl: 'https://cli.example', allowBasicTextKeyring: true, updateChannel: 'stable' });

  const policy = { serverUrl: 'https://parley.acme.example', allowBasicTextKeyring: false, updateChannel: 'stable' as const, offlineLockHours: 8, offlineWipeDays: null };
  const d = effectiveSettings(policy, { argv: [...argv, '--allow-basic-text-keyring', '--update-channel', 'beta'], env });
  assert.deepEqual(d.settings, { serverUrl: 'https://parley.acme.example', allowBasicTextKeyring: false, updateChannel: 'stable', offlineLockHours: 8, offlineWipeDays: null });
  assert.deepEqual(d.managed.sort(), ['allowBasicTextKeyring', 'offlineLockHours', 'offlineWipeDays', 'serverUrl', 'updateChannel']);
  assert.deepEqual(d.ignored.sort(), ['--allow-basic-text-keyring', '--server', '--update-channel', 'PARLEY_ALLOW_BASIC_TEXT_KEYRING', 'PARLEY_SERVER', 'PARLEY_UPDATE_CHANNEL']);

  // A refused policy (SAFE_POLICY) still keeps the user from loosening the keyring or picking beta.
  const safe = effectiveSettings(SAFE_POLICY, { argv: ['--allow-basic-text-keyring'], env });
  assert.equal(safe.settings.allowBasicTextKeyring, false);
  assert.equal(safe.settings.updateChannel, 'stable');
  assert.equal(safe.settings.serverUrl, 'https://env.example');

  assert.throws(() => effectiveSettings({}, { argv: ['--update-channel', 'dev'], env: {} }), /must be "stable" or "beta"/);
  assert.doesNotThrow(() => effectiveSettings({ updateChannel: 'beta' }, { argv: ['--update-channel', 'dev'], env: {} }));
  assert.throws(() => effectiveSettings({}, { argv: ['--server', 'ftp://x'], env: {} }), /must be http\(s\)/);
});

test('macOS managed preferences (.plist) go through the plist converter and the same checks', () => {
  // Stand-in for /usr/bin/plutil (not on Linux): a clearly fake converter that accepts one known plist.
  const FAKE_PLIST = '<?xml version="1.0"?><plist version="1.0"><dict><key>serverUrl</key><string>https://parley.acme.example</string></dict></plist>';
  const fakePlutil = (bytes: Uint8Array) => {
    if (Buffer.from(bytes).toString('utf8') !== FAKE_PLIST) throw new Error('Property List error: unexpected token');
    return Buffer.from(JSON.stringify({ serverUrl: 'https://parley.acme.example' }));
  };
  const dir = join(root, 'managed-prefs');
  mkdirSync(dir, { mode: 0o755 });
  const good = join(dir, 'com.acme.parley.plist');
  writeFileSync(good, FAKE_PLIST, { mode: 0o644 });
  const r = loadManagedPolicy({ path: good, expectUid: me, platform: 'darwin', plistToJson: fakePlutil });
  assert.equal(r.status, 'applied');
  assert.equal(r.policy.serverUrl, 'https://parley.acme.example');
  const bad = join(dir, 'broken.plist');
  writeFileSync(bad, '<plist><dict><key>oops', { mode: 0o644 });
  refusedWith(loadManagedPolicy({ path: bad, expectUid: me, platform: 'darwin', plistToJson: fakePlutil }), /not a readable property list/);
  chmodSync(good, 0o666);
  refusedWith(loadManagedPolicy({ path: good, expectUid: me, platform: 'darwin', plistToJson: fakePlutil }), /writable by group or others/);
});
