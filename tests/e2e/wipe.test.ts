// Remote wipe end to end: real server and dev IdP, real CLI processes and SQLCipher profiles.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { AppController } from '../../electron/app/controller.ts';
import { prepareLaunch, WIPE_MARKER, WIPE_STEPS, WIPED_FILE } from '../../electron/core/lifecycle/lifecycle.ts';
import { readProfileInfo } from '../../electron/core/account/profile.ts';
import { defaultVault } from '../../electron/core/messenger.ts';
import { FileVault, type SecretVault } from '../../electron/core/store/vault.ts';
import { byteSearch, jsonLines, ok, parley, ROOT, startDevServer, tempDir } from './harness.ts';
import { waitForLine } from '../support/wait-for.ts';

let server: RunningServer;
let root: string;
const profile = (name: string) => join(root, name);
const login = (name: string, user: string) => ok(['--profile', profile(name), 'login', '--server', server.url, '--user', user]);
const deviceIdOf = async (name: string) => {
  const me = JSON.parse(await ok(['--profile', profile(name), 'whoami', '--json'])) as { userId: string; deviceId: number };
  return `${me.userId}.${me.deviceId}`;
};

/** Records which secrets are read: the store key must never be loaded on the way to a wipe. */
class SpyVault implements SecretVault {
  readonly kind = 'file';
  readonly loads: string[] = [];
  constructor(private readonly inner: SecretVault) {}
  async load(name: string) { this.loads.push(name); return this.inner.load(name); }
  save(name: string, s: Uint8Array) { return this.inner.save(name, s); }
  destroy(name: string) { return this.inner.destroy(name); }
}

function assertNothingLeft(dir: string) {
  const files = existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : [];
  assert.deepEqual(files.filter((f) => f.startsWith('parley.db')), [], `no store files in ${dir}`);
  assert.equal(existsSync(join(dir, 'vault', 'store-key.key')), false, 'no store key');
  assert.equal(existsSync(join(dir, 'vault', 'lifecycle-key.key')), false, 'no lifecycle key');
  assert.equal(existsSync(join(dir, WIPE_MARKER)), false, 'no marker');
  assert.equal(existsSync(join(dir, WIPED_FILE)), true, 'the wiped notice stays');
}

before(async () => {
  root = tempDir('wipe');
  server = await startDevServer(join(root, 'server'));
  await login('carol', 'carol');
  await login('alice', 'alice');
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('non-admins cannot wipe (403), and get one clear line', async () => {
  const r = await parley(['--profile', profile('alice'), 'admin', 'wipe', '--user', 'carol@acme.test', '--reason', 'nope']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^parley: .*(admin|forbidden|not allowed)/im);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const audit = await parley(['--profile', profile('alice'), 'admin', 'audit']);
  assert.notEqual(audit.code, 0);
});

test('an online device is wiped within 2 s of the admin command; the wiped profile holds no message text', async () => {
  await login('bob-online', 'bob');
  await ok(['--profile', profile('alice'), 'send', 'bob@acme.test', 'payroll-secret-7781 do not forward']);
  assert.equal(jsonLines(await ok(['--profile', profile('bob-online'), 'receive', '--json']))[0]?.text, 'payroll-secret-7781 do not forward');
  const child = spawn(process.execPath, [join(ROOT, 'electron/cli/parley.js'), '--profile', profile('bob-online'), 'receive', '--wait', '60'], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const receiving = new Promise<{ code: number | null; stderr: string; at: number }>((resolve) => {
    // What it said after its readiness line.
    child.on('exit', (code) => resolve({ code, stderr: stderr.replace(/^listening\n/, ''), at: Date.now() }));
  });
  await waitForLine(child.stderr, /^listening$/); // its delivery socket is open
  const t0 = Date.now();
  const out = await ok(['--profile', profile('carol'), 'admin', 'wipe', '--user', 'bob@acme.test', '--reason', 'lost laptop']);
  const t1 = Date.now();
  assert.match(out, /wipe requested for 1 device/);
  const r = await receiving;
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /wiped by Acme Corp on/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.ok(r.at - t1 < 2000, `wiped ${r.at - t1} ms after the command returned (issued at +${t1 - t0} ms)`);
  assertNothingLeft(profile('bob-online'));
  assert.deepEqual(byteSearch(profile('bob-online'), ['payroll-secret-7781']), []);
  // Every command on the wiped profile now says so, with exit status 3.
  for (const args of [['whoami'], ['receive'], ['send', 'alice@acme.test', 'hi'], ['login', '--server', server.url, '--user', 'bob']]) {
    const w = await parley(['--profile', profile('bob-online'), ...args]);
    assert.equal(w.code, 3, `${args[0]}: ${w.stderr}`);
    assert.match(w.stderr, /wiped/);
  }
  const audit = await ok(['--profile', profile('carol'), 'admin', 'audit', '--json']);
  const actions = (JSON.parse(audit) as { action: string; reason: string }[]).map((e) => e.action);
  assert.ok(actions.includes('wipe requested') && actions.includes('wipe confirmed'), actions.join(', '));
});

test('an offline device is wiped at its next launch, before its store is ever opened', async () => {
  await login('bob-offline', 'bob');
  const id = await deviceIdOf('bob-offline');
  await ok(['--profile', profile('carol'), 'admin', 'wipe', '--device', id, '--reason', 'leaver']);
  const spy = new SpyVault(defaultVault(profile('bob-offline')));
  const c = new AppController({ profileDir: profile('bob-offline'), serverUrl: server.url, vault: spy, openExternal: async () => {} });
  await c.start();
  assert.equal(c.getState().phase, 'wiped');
  assert.match(c.getState().notice ?? '', /^This device was wiped by Acme Corp on /);
  assert.ok(!spy.loads.includes('store-key'), `the store key was never loaded (loads: ${spy.loads})`);
  assertNothingLeft(profile('bob-offline'));
  await c.stop();
});

for (const step of WIPE_STEPS.filter((s) => s !== 'marker-removed')) {
  test(`killed right after "${step}", the next launch finishes the wipe`, async () => {
    const name = `bob-kill-${step}`;
    await login(name, 'bob');
    const id = await deviceIdOf(name);
    await ok(['--profile', profile('carol'), 'admin', 'wipe', '--device', id]);
    const killed = await parley(['--profile', profile(name), 'whoami'], { env: { PARLEY_TEST_KILL_AFTER_WIPE_STEP: step } });
    assert.equal(killed.code, null, 'the process was killed mid-wipe');
    assert.equal(existsSync(join(profile(name), WIPE_MARKER)), true, 'the marker survives the kill');
    const again = await parley(['--profile', profile(name), 'whoami']);
    assert.equal(again.code, 3, again.stderr);
    assertNothingLeft(profile(name));
  });
}

test('offline lease: locked after offlineLockHours, wiped after offlineWipeDays; turning the clock back unlocks nothing', async () => {
  const leaseServer = await startDevServerWith(join(root, 'lease-server'), { offlineLockHours: 72, offlineWipeDays: 30 });
  const dir = profile('lease-bob');
  try {
    await ok(['--profile', dir, 'login', '--server', leaseServer.url, '--user', 'bob']);
    const vault = defaultVault(dir);
    const t0 = Date.now();
    assert.equal((await prepareLaunch(dir, vault, { now: () => t0 })).kind, 'open');
    const lease = readProfileInfo(dir)!.lease!;
    assert.ok(lease && lease.lockAfter - lease.issuedAt === 72 * 3_600_000, 'a signed 72 h lease was stored');
    await leaseServer.close(); // from now on the device is offline
    const hour = 3_600_000;
    assert.equal((await prepareLaunch(dir, vault, { now: () => t0 + 71 * hour })).kind, 'open', 'within the lease');
    const locked = await prepareLaunch(dir, vault, { now: () => t0 + 73 * hour });
    assert.equal(locked.kind, 'locked');
    assert.match(locked.kind === 'locked' ? locked.notice : '', /Reconnect to continue/);
    assert.equal((await prepareLaunch(dir, vault, { now: () => t0 + 1 * hour })).kind, 'locked', 'clock turned back: still locked');
    const r = await parley(['--profile', dir, 'whoami']);
    assert.equal(r.code, 4, `the CLI refuses too: ${r.stderr}`);
    const spy = new SpyVault(vault);
    const wiped = await prepareLaunch(dir, spy, { now: () => t0 + 31 * 24 * hour });
    assert.equal(wiped.kind, 'wiped');
    assert.ok(!spy.loads.includes('store-key'));
    // Offline, the receipt cannot be sent yet: the marker stays until the server is back.
    assert.equal(existsSync(join(dir, 'parley.db')), false);
    assert.equal(existsSync(join(dir, 'vault', 'store-key.key')), false);
  } finally {
    await leaseServer.close().catch(() => undefined);
  }
});

test('a tampered lease in profile.json does not extend anything', async () => {
  const dir = profile('tamper-bob');
  await login('tamper-bob', 'bob');
  const vault = new FileVault(join(dir, 'vault'));
  await prepareLaunch(dir, vault);
  const info = readProfileInfo(dir)!;
  const forged = { ...info.lease!, lockAfter: info.lease!.lockAfter + 365 * 24 * 3_600_000 };
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'profile.json'), JSON.stringify({ ...info, lease: forged, server: 'http://127.0.0.1:1' }));
  const d = await prepareLaunch(dir, vault, { now: () => info.lease!.lockAfter + 3_600_000 });
  assert.equal(d.kind, 'locked', 'a lease whose signature does not verify is ignored');
});

async function startDevServerWith(dataDir: string, extra: Record<string, unknown>) {
  const { startServer } = await import('../../server/app.ts');
  return startServer({ dataDir, port: 0, host: '127.0.0.1', devIdp: true, logger: false, ...extra } as Parameters<typeof startServer>[0]);
}
