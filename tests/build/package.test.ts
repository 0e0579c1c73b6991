// Packages the app with electron-builder (`--dir --linux`, offline) and inspects the result: app.asar content,
// the unpacked native addon, fuses flipped in the binary, and that every runtime dependency loads from the
// shipped node_modules alone.
//  - "stub Electron": always runs. The Electron binary cannot be downloaded here, so electronDist is a stub
//    directory whose `electron` file carries Electron's fuse sentinel and default fuse wire; electron-builder
//    copies it, writes app.asar and flips the fuses exactly as with the real binary.
//  - "real Electron": only when ELECTRON_OVERRIDE_DIST_PATH points at an unpacked Electron 45 (Linux) dist.
import { extractAll, listPackage } from '@electron/asar';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { APP_RUNTIME_DEPENDENCIES } from '../../build/scripts/app-files.ts';
import { fuseMismatches } from '../../build/scripts/verify-fuses.ts';
import { root } from './helpers.ts';

const ARCH = process.arch;
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's default wire: RunAsNode 1, CookieEncryption 0, NodeOptions 1, Inspect 1, AsarIntegrity 0,
 * OnlyLoadAppFromAsar 0, BrowserV8Snapshot 0, GrantFileProtocolExtraPrivileges 1 (wire version 1, 8 fuses). */
const DEFAULT_WIRE = '10110001';

function stubElectronDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-stub-electron-'));
  const exe = join(dir, 'electron');
  writeFileSync(exe, Buffer.concat([Buffer.from(`#!/bin/sh\necho stub electron\nexit 0\n# ${SENTINEL}`), Buffer.from([1, 8]), Buffer.from(`${DEFAULT_WIRE}\n`)]));
  chmodSync(exe, 0o755);
  writeFileSync(join(dir, 'version'), '45.4.1');
  writeFileSync(join(dir, 'LICENSE'), 'stub');
  writeFileSync(join(dir, 'LICENSES.chromium.html'), 'stub');
  mkdirSync(join(dir, 'resources'));
  return dir;
}

let built = false;
function buildDesktop(): void {
  if (built) return;
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `electron-vite build failed:\n${r.stdout}\n${r.stderr}`);
  built = true;
}

/** electron-builder --dir --linux into a temporary output directory; returns <out>/linux-unpacked. */
function packageLinuxDir(electronDist: string): { out: string; unpacked: string } {
  buildDesktop();
  const out = mkdtempSync(join(tmpdir(), 'parley-dist-'));
  const r = spawnSync('npx', ['electron-builder', '--config', 'build/electron-builder.config.ts', '--linux', 'dir', `--${ARCH}`,
    '--publish', 'never', `-c.directories.output=${out}`], {
    cwd: root, encoding: 'utf8',
    env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: electronDist, ELECTRON_BUILDER_7ZIP_PATH: process.env.ELECTRON_BUILDER_7ZIP_PATH ?? '/usr/bin/7za', PARLEY_E2E_BUILD: '' },
  });
  assert.equal(r.status, 0, `electron-builder failed:\n${r.stdout}\n${r.stderr}`);
  const unpacked = join(out, ARCH === 'x64' ? 'linux-unpacked' : `linux-${ARCH}-unpacked`);
  assert.ok(existsSync(join(unpacked, 'resources', 'app.asar')), 'app.asar written');
  return { out, unpacked };
}

async function inspectPackage(t: TestContext, unpacked: string): Promise<void> {
  const asarPath = join(unpacked, 'resources', 'app.asar');
  const files = listPackage(asarPath, { isPack: false }).map((f) => f.replace(/\\/g, '/'));
  const has = (p: string) => files.includes(p);
  for (const p of ['/package.json', '/out/main/main.js', '/out/preload/preload.cjs', '/out/renderer/index.html']) assert.ok(has(p), `${p} in app.asar`);
  const forbidden = files.filter((f) => /^\/(tests|server|renderer|electron|crypto|docs|build)(\/|$)/.test(f) || f.endsWith('.map') || /\.(ts|mts|cts)$/.test(f));
  assert.deepEqual(forbidden, [], 'tests, sources, source maps, docs or the dev IdP in app.asar');
  for (const pkg of ['fastify', 'oidc-provider', 'pino', 'tsx', 'koa', '@fastify/websocket', 'esbuild', 'dprint-node', 'ts-proto']) {
    assert.ok(!has(`/node_modules/${pkg}`), `server/build-only package ${pkg} not shipped`);
  }
  const prebuilds = files.filter((f) => /^\/node_modules\/@signalapp\/sqlcipher\/prebuilds\/[^/]+$/.test(f));
  assert.deepEqual(prebuilds, [`/node_modules/@signalapp/sqlcipher/prebuilds/linux-${ARCH}`], 'only this target\'s SQLCipher prebuild');
  const addon = join(unpacked, 'resources', 'app.asar.unpacked', 'node_modules', '@signalapp', 'sqlcipher', 'prebuilds', `linux-${ARCH}`, '@signalapp+sqlcipher.node');
  assert.ok(existsSync(addon), 'native addon unpacked next to app.asar');

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
  const extracted = mkdtempSync(join(tmpdir(), 'parley-asar-'));
  try {
    extractAll(asarPath, extracted);
    const shipped = JSON.parse(readFileSync(join(extracted, 'package.json'), 'utf8')) as { main: string; scripts?: unknown };
    assert.equal(shipped.main, pkg.main);
    assert.equal(shipped.scripts, undefined, 'npm scripts stripped');
    // Every runtime dependency (and the SQLCipher addon) loads from the shipped node_modules alone.
    // Packages without a root entry are loaded through the submodules the app imports.
    const SUBMODULES: Record<string, string[]> = { protobufjs: ['protobufjs/minimal.js'], '@noble/curves': ['@noble/curves/ed25519.js', '@noble/curves/utils.js'] };
    const specs = [...APP_RUNTIME_DEPENDENCIES.flatMap((d) => SUBMODULES[d] ?? [d]), 'typebox/compile'];
    writeFileSync(join(extracted, 'load-check.mjs'),
      `${specs.map((s, i) => `import * as m${i} from ${JSON.stringify(s)};`).join('\n')}\n` +
      `const { Database } = m${specs.indexOf('@signalapp/sqlcipher')}; const db = new Database(":memory:"); db.exec("CREATE TABLE t(x)"); db.close();\nconsole.log("loaded");\n`);
    const r = spawnSync(process.execPath, ['load-check.mjs'], { cwd: extracted, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    assert.equal(r.status, 0, `runtime dependencies do not load from the package:\n${r.stderr}`);
    t.diagnostic(`app.asar: ${files.length} entries; runtime dependencies load from it`);
  } finally {
    rmSync(extracted, { recursive: true, force: true });
  }
}

test('stub Electron: electron-builder --dir --linux selects only production files and flips the production fuses', { timeout: 300_000 }, async (t) => {
  if (process.platform !== 'linux') { t.skip('Linux packaging test'); return; }
  const dist = stubElectronDist();
  const { out, unpacked } = packageLinuxDir(dist);
  try {
    await inspectPackage(t, unpacked);
    assert.deepEqual(await fuseMismatches(join(unpacked, 'parley'), false), []);
    assert.ok((await fuseMismatches(join(unpacked, 'parley'), true)).length === 1, 'differs from the e2e profile in one fuse');
    assert.ok(existsSync(join(unpacked, 'resources', 'app-update.yml')), 'electron-updater configuration written');
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(dist, { recursive: true, force: true });
  }
});

test('real Electron: packaged app from ELECTRON_OVERRIDE_DIST_PATH', { timeout: 600_000 }, async (t) => {
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (dist === undefined || dist === '' || !existsSync(join(dist, 'electron')) || process.platform !== 'linux') {
    console.log('skipped: no Electron dist (set ELECTRON_OVERRIDE_DIST_PATH)');
    t.skip('no Electron dist (set ELECTRON_OVERRIDE_DIST_PATH)');
    return;
  }
  const { out, unpacked } = packageLinuxDir(dist);
  try {
    await inspectPackage(t, unpacked);
    assert.deepEqual(await fuseMismatches(join(unpacked, 'parley'), false), []);
    // RunAsNode is off: ELECTRON_RUN_AS_NODE must not turn the signed binary into a Node interpreter.
    const r = spawnSync(join(unpacked, 'parley'), ['-e', 'console.log("node-mode")'], {
      encoding: 'utf8', timeout: 15_000, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', DISPLAY: '' },
    });
    assert.ok(!(r.stdout ?? '').includes('node-mode'), 'ELECTRON_RUN_AS_NODE ignored');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
