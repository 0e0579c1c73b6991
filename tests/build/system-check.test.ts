// Everyday set-up: one list of system packages (tests/system-check.mjs) that README.md's apt-get line and
// .ci/run repeat; `npm test` checks it first and stops in one line; the Node versions README.md states are
// package.json's engines, and this Node is one of them.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SYSTEM_PACKAGES } from '../system-check.mjs';
import { root } from './helpers.ts';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };

test('README.md\'s set-up line and .ci/run install exactly the packages the check looks for', () => {
  const wanted = Object.keys(SYSTEM_PACKAGES).sort();
  const aptLine = /sudo apt-get install -y ([a-z0-9 -]+?)\s+#/.exec(readme);
  assert.ok(aptLine, 'README.md has one `sudo apt-get install -y …` line');
  assert.deepEqual(aptLine[1]!.split(' ').sort(), wanted);
  const ci = /^PACKAGES="([^"]+)"$/m.exec(readFileSync(join(root, '.ci', 'run'), 'utf8'));
  assert.ok(ci, '.ci/run names its PACKAGES');
  assert.deepEqual(ci[1]!.split(' ').sort(), wanted);
});

test('npm test checks the system packages before anything else', () => {
  assert.match(pkg.scripts.test!, /^node tests\/system-check\.mjs && /);
});

test('a missing package stops the check with one line naming it and how to install it', () => {
  const r = spawnSync(process.execPath, [join(root, 'tests', 'system-check.mjs')], {
    encoding: 'utf8', env: { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium' },
  });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^npm test needs chromium \(not found: \/nonexistent\/chromium\); install with: sudo apt-get install -y chromium /);
});

test('README.md states the engines of package.json, and this Node satisfies them', () => {
  assert.equal(pkg.engines.node, '^20.19.0 || >=22.12.0');
  assert.ok(readme.includes(`\`engines\` is \`${pkg.engines.node}\``), 'README.md quotes engines');
  assert.match(readme, /Node\.js 20\.19\+ or 22\.12\+/);
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  assert.ok((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22, `Node ${process.versions.node}`);
});
