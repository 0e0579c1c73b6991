// Your own devices from the CLI: named by kind and host, listed with platform and last seen, renamed, another
// removed, and `parley logout` ending this device's registration (audited) and deleting its local profile.
// Real server with the dev IdP, real CLI processes, real SQLCipher profiles.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { ok, parley, startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const laptop = () => join(root, 'alice-laptop');
const vm = () => join(root, 'alice-vm');
const admin = () => join(root, 'carol');

interface Listed { deviceId: number; name: string; platform: string; current: boolean; lastSeen: number; state: string }
const devices = async (profile: string) => JSON.parse(await ok(['--profile', profile, 'devices', '--json'])) as Listed[];
const adminView = async () => {
  const users = JSON.parse(await ok(['--profile', admin(), 'admin', 'devices', '--user', 'alice@acme.test', '--json'])) as Array<{ devices: Array<{ deviceId: number; name: string; state: string }> }>;
  return users[0]!.devices;
};

before(async () => {
  root = tempDir('devices');
  mkdirSync(join(root, 'server')); // (the server makes it too; made here so a lease-key change in progress cannot break this test)
  server = await startDevServer(join(root, 'server'));
  for (const [profile, user] of [[laptop(), 'alice'], [vm(), 'alice'], [admin(), 'carol']] as const) {
    await ok(['--profile', profile, 'login', '--server', server.url, '--user', user]);
  }
});
after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('devices are named by kind and host, listed with platform and last seen, this one first', async () => {
  const list = await devices(vm());
  assert.deepEqual(list.map((d) => [d.deviceId, d.name, d.current]), [[2, `CLI on ${hostname()}`, true], [1, `CLI on ${hostname()}`, false]]);
  for (const d of list) {
    assert.equal(d.platform, 'Linux');
    assert.equal(d.state, 'active');
    assert.ok(d.lastSeen > Date.now() - 120_000);
  }
  const text = await ok(['--profile', vm(), 'devices']);
  assert.match(text, /^ {2}2 {2}CLI on .+ \(Linux · this device\)$/m);
  assert.match(text, /^ {2}1 {2}CLI on .+ \(Linux · last seen \d{4}-\d\d-\d\d \d\d:\d\d\)$/m);
});

test('rename this device: the owner and the admin see the new name; a blank name is refused with a sentence', async () => {
  assert.match(await ok(['--profile', vm(), 'devices', 'rename', 'CLI on build-vm']), /this device is now called "CLI on build-vm"/);
  assert.equal((await devices(laptop())).find((d) => d.deviceId === 2)?.name, 'CLI on build-vm');
  assert.equal((await adminView()).find((d) => d.deviceId === 2)?.name, 'CLI on build-vm');
  const blank = await parley(['--profile', vm(), 'devices', 'rename', '   ']);
  assert.equal(blank.code, 2);
  assert.match(blank.stderr, /^parley: a device name cannot be empty\n$/);
});

test('remove another device: it is revoked (audited, by alice) and refused from then on; removing this one says to sign out', async () => {
  const self = await parley(['--profile', laptop(), 'devices', 'remove', '1']);
  assert.equal(self.code, 2);
  assert.match(self.stderr, /sign out instead \(parley logout\)/);
  const unknown = await parley(['--profile', laptop(), 'devices', 'remove', '9']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /you have no device 9/);

  assert.match(await ok(['--profile', laptop(), 'devices', 'remove', '2']), /removed device 2/);
  assert.deepEqual((await devices(laptop())).map((d) => d.deviceId), [1]);
  assert.equal((await adminView()).find((d) => d.deviceId === 2)?.state, 'revoked');
  const refused = await parley(['--profile', vm(), 'devices']);
  assert.equal(refused.code, 3, `the removed device learns it is revoked and wipes itself: ${refused.stderr}`);

  const audit = JSON.parse(await ok(['--profile', admin(), 'admin', 'audit', '--json'])) as Array<{ action: string; actor: string; target: string; details: { reason?: string } }>;
  const entry = audit.find((e) => e.target === 'alice@acme.test device 2' && e.action === 'device revoked');
  assert.equal(entry?.actor, 'alice@acme.test');
  assert.equal(entry?.details.reason, 'removed by its owner from device 1');
});

test('logout ends the registration (audited) and deletes the local profile; the folder can sign in again', async () => {
  const out = await ok(['--profile', laptop(), 'logout']);
  assert.match(out, /signed out: device 1 of alice@acme.test is no longer registered/);
  assert.equal(existsSync(join(laptop(), 'parley.db')), false, 'the store is deleted');
  assert.equal(existsSync(join(laptop(), 'profile.json')), false);
  assert.equal(existsSync(join(laptop(), 'wiped.json')), false, 'signed out, not wiped');
  assert.equal((await adminView()).find((d) => d.deviceId === 1)?.state, 'revoked');
  const audit = JSON.parse(await ok(['--profile', admin(), 'admin', 'audit', '--json'])) as Array<{ action: string; actor: string; target: string; details: { reason?: string } }>;
  assert.ok(audit.some((e) => e.target === 'alice@acme.test device 1' && e.action === 'device revoked' && e.actor === 'alice@acme.test' && e.details.reason === 'signed out on this device'));

  const gone = await parley(['--profile', laptop(), 'devices']);
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /no Parley profile/);
  await ok(['--profile', laptop(), 'login', '--server', server.url, '--user', 'alice']);
  assert.deepEqual((await devices(laptop())).map((d) => [d.deviceId, d.current]), [[3, true]]);
});
