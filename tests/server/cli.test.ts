import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerDevice, runServerCli as run, SERVER_LAUNCHER as launcher } from './helpers.ts';


test('bad usage: one stderr line starting "parley-server: " and exit 2', async () => {
  const cases: string[][] = [[], ['--data', '/tmp/x'], ['--data', '/tmp/x', '--dev-idp', '--issuer', 'https://idp.example'],
    ['--data', '/tmp/x', '--dev-idp', '--port', 'abc'], ['--data', '/tmp/x', '--dev-idp', '--bogus'], ['--data', '/tmp/x', '--issuer', 'https://i.example'],
    ['--data', '/tmp/x', '--dev-idp', '--offline-lock-hours', '0'], ['--data', '/tmp/x', '--dev-idp', '--offline-lock-hours', '9000'],
    ['--data', '/tmp/x', '--dev-idp', '--offline-wipe-days', 'abc'], ['--data', '/tmp/x', '--dev-idp', '--offline-wipe-days', '-1'],
    ['--data', '/tmp/x', '--dev-idp', '--trust-proxy', 'yes please'], ['--data', '/tmp/x', '--dev-idp', '--max-connections-per-ip', '-3']];
  await Promise.all(cases.map(async (args) => {
    const r = await run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^parley-server: [^\n]+\n$/);
    assert.equal(r.stdout, '');
  }));
});

test('starts, announces its URL, serves, and exits cleanly on SIGTERM', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-cli-'));
  try {
    const child = spawn(process.execPath, [launcher, '--data', dataDir, '--port', '0', '--dev-idp', '--organization', 'Test Org',
      '--offline-lock-hours', '24', '--offline-wipe-days', '30', '--trust-proxy', '10.0.0.0/8,127.0.0.1', '--max-connections-per-ip', '100'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Parley server listening on (http:\/\/127\.0\.0\.1:\d+) \(issuer (\S+)\)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const config = await (await fetch(`${url}/v1/config`)).json() as { organization: string; issuer: string };
    assert.equal(config.organization, 'Test Org');
    assert.equal(config.issuer, `${url}/idp`);
    const reg = await registerDevice(url, 'alice');
    assert.equal(reg.offlineLockHours, 24);
    assert.equal(reg.offlineWipeDays, 30);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
