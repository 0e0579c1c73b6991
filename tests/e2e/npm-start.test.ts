// `npm start` as a person runs it (the compiled launcher, in a fresh folder): relay + dev IdP + the browser
// shell, no runtime warning on the supported Node versions (oidc-provider's "Unsupported runtime" on Node 20
// included), and — without a window — the one-time link to open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { waitForLine } from '../support/wait-for.ts';
import { ROOT, tempDir } from './harness.ts';
import { stopChild } from '../support/child.ts';

test('npm start comes up without warnings and prints the link when it opens no window', async () => {
  const cwd = tempDir('npm-start');
  const child = spawn(process.execPath, [join(ROOT, 'electron', 'cli', 'npm-start.js'), '--no-window'], {
    cwd, env: { ...process.env, PARLEY_PORT: '0', PARLEY_BROWSER_SHELL: '1' }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  try {
    await waitForLine(child.stdout, /^Parley UI: http:\/\/127\.0\.0\.1:\d+\/#code=\S+$/, { timeoutMs: 90_000 })
      .catch((e: Error) => { throw new Error(`${e.message}\n${out}\n${err}`); });
    assert.match(out, /^Parley is running: relay http:\/\/127\.0\.0\.1:\d+/m);
    assert.doesNotMatch(out, /Opened/);
    assert.equal(err, '', 'nothing on stderr: no oidc-provider or Node warning');
  } finally {
    await stopChild(child, 'SIGINT');
    rmSync(cwd, { recursive: true, force: true });
  }
  assert.equal(child.exitCode, 0, 'Ctrl+C stops it cleanly');
});
