// SCIM setup: the CLI options (--scim-token / PARLEY_SCIM_TOKEN, --scim-link-claim) and the schema migration,
// which gives every user who existed before SCIM a (just-in-time) SCIM user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from '@signalapp/sqlcipher';
import { DB_FILE } from '../../server/store/sqlite.ts';
import { URN } from '../../common/wire/scim.ts';
import { activeDevice, api, startTestServer } from './helpers.ts';

const launcher = fileURLToPath(new URL('../../server/cli/parley-server.js', import.meta.url));
const TOKEN = 'scim-setup-token-0123456789abcdef';

function run(args: string[], env: Record<string, string> = {}, onLine?: (line: string, kill: () => void) => void) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [launcher, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); onLine?.(stdout, () => child.kill('SIGTERM')); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('CLI: bad SCIM options are usage errors (exit 2)', async () => {
  for (const args of [['--scim-token', 'short'], ['--scim-token', 'has a space in it, sixteen+'], ['--scim-link-claim', 'oid'],
    ['--scim-token', TOKEN, '--scim-link-claim', 'bad claim!']]) {
    const r = await run(['--data', '/tmp/x', '--dev-idp', ...args], { PARLEY_SCIM_TOKEN: '' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^parley-server: [^\n]+\n$/);
  }
});

test('CLI: PARLEY_SCIM_TOKEN enables /scim/v2', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-scim-cli-'));
  try {
    let checked: Promise<void> | undefined;
    const r = await run(['--data', dataDir, '--port', '0', '--dev-idp', '--scim-link-claim', 'oid'], { PARLEY_SCIM_TOKEN: TOKEN }, (out, kill) => {
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (!url || checked) return;
      checked = (async () => {
        try {
          const ok = await fetch(`${url}/scim/v2/ServiceProviderConfig`, { headers: { authorization: `Bearer ${TOKEN}` } });
          assert.equal(ok.status, 200);
          assert.deepEqual((await ok.json() as { schemas: string[] }).schemas, [URN.serviceProviderConfig]);
          assert.equal((await fetch(`${url}/scim/v2/Users`)).status, 401);
        } finally {
          kill();
        }
      })();
    });
    await checked;
    assert.equal(r.status, 0, r.stderr);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('migration: users who registered before SCIM existed become just-in-time SCIM users', async () => {
  const first = await startTestServer();
  const bob = await activeDevice(first.url, 'bob');
  await first.close();
  // Roll the schema back to before the SCIM migration, as an older server left it.
  const db = new Database(join(first.dataDir, DB_FILE));
  db.exec('DROP TABLE scim_group_members; DROP TABLE scim_groups; DROP TABLE scim_users; ALTER TABLE envelopes DROP COLUMN group_id;');
  db.pragma('user_version = 3');
  db.close();
  const s = await startTestServer({ dataDir: first.dataDir, scimToken: TOKEN });
  try {
    const res = await fetch(`${s.url}/scim/v2/Users?filter=${encodeURIComponent('emails.value eq "BOB@acme.test"')}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = await res.json() as any;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.totalResults, 1);
    const u = body.Resources[0];
    assert.equal(u.userName, 'bob@acme.test');
    assert.equal(u.displayName, 'Bob Baker');
    assert.deepEqual(u.emails, [{ value: 'bob@acme.test', type: 'work', primary: true }]);
    assert.equal(u.active, true);
    // …and deactivating that SCIM user wipes bob's device.
    const off = await fetch(`${s.url}/scim/v2/Users/${u.id}`, {
      method: 'PATCH', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [URN.patchOp], Operations: [{ op: 'replace', path: 'active', value: false }] }),
    });
    assert.equal(off.status, 200);
    assert.equal((await api(s.url, 'GET', '/v1/devices/me', { auth: bob.auth })).body.error, 'device_wiped');
  } finally {
    await s.cleanup();
  }
});
