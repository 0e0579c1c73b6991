// SCIM setup: the CLI options (--scim-token / PARLEY_SCIM_TOKEN, --scim-link-claim). The schema migration that
// gives every user who existed before SCIM a (just-in-time) SCIM user: tests/server/migrations.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { URN } from '../../common/wire/scim.ts';

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
