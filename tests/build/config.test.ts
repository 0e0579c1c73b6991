// The electron-builder configuration, without building anything: targets, signing settings, fuses (production
// vs e2e), file selection evaluated with electron-builder's own glob engine, and no secrets in the sources.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import config, { APP_ID, DEFAULT_WIN_PUBLISHER_NAME, makeConfig } from '../../build/electron-builder.config.ts';
import { E2E_FUSES, fuseDifferences, PRODUCTION_FUSES } from '../../build/fuses.ts';
import { APP_RUNTIME_DEPENDENCIES, serverOnlyPackagePathsOf } from '../../build/scripts/app-files.ts';
import { root, selected } from './helpers.ts';

const CONFIG_FILE = join(root, 'build', 'electron-builder.config.ts');
type Platform = 'linux' | 'win' | 'mac';
const filesOf = (c: ReturnType<typeof makeConfig>, os: Platform): string[] => (c[os]?.files ?? []) as string[];
const targetsOf = (t: unknown): string[] => (Array.isArray(t) ? t : [t]).map((x) => (typeof x === 'string' ? x : (x as { target: string }).target));

test('electron-builder itself loads build/electron-builder.config.ts (jiti) and gets the same configuration', async () => {
  const load = createRequire(import.meta.url)('app-builder-lib/out/util/config/load.js') as {
    getConfig(request: { packageKey: string; configFilename: string; projectDir: string }, configPath: string): Promise<{ result: unknown }>;
  };
  const { result } = await load.getConfig({ packageKey: 'build', configFilename: 'electron-builder', projectDir: root }, CONFIG_FILE);
  assert.deepEqual(JSON.parse(JSON.stringify(result)), JSON.parse(JSON.stringify(config)));
});

test('identity, asar, no native rebuild, targets of every platform', () => {
  const c = makeConfig({});
  assert.equal(c.appId, APP_ID);
  assert.equal(c.productName, 'Parley');
  assert.equal(c.asar, true);
  assert.equal(c.npmRebuild, false);
  assert.equal(c.nodeGypRebuild, false);
  assert.deepEqual(targetsOf(c.linux?.target).sort(), ['AppImage', 'deb', 'rpm', 'tar.gz']);
  assert.deepEqual(targetsOf(c.win?.target), ['nsis']);
  assert.deepEqual(targetsOf(c.mac?.target).sort(), ['dmg', 'zip']);
  assert.equal(c.nsis?.oneClick, false);
  assert.equal(c.nsis?.allowElevation, true);
  assert.equal(c.nsis?.perMachine, false, 'assisted installer offers the per-machine install (/allusers)');
  assert.equal(c.mac?.hardenedRuntime, true);
  assert.equal(c.mac?.entitlements, 'build/entitlements.mac.plist');
  assert.ok(existsSync(join(root, c.mac!.entitlements!)));
  assert.equal(c.electronDist, undefined, 'no electronDist unless ELECTRON_OVERRIDE_DIST_PATH is set');
  assert.equal(makeConfig({ ELECTRON_OVERRIDE_DIST_PATH: '/opt/electron-45' }).electronDist, '/opt/electron-45');
});

test('macOS entitlements: only JIT and unsigned executable memory', () => {
  const plist = readFileSync(join(root, 'build', 'entitlements.mac.plist'), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
  const keys = [...plist.matchAll(/<key>([^<]+)<\/key>/g)].map((m) => m[1]).sort();
  assert.deepEqual(keys, ['com.apple.security.cs.allow-jit', 'com.apple.security.cs.allow-unsigned-executable-memory']);
});

test('fuses: production table, and the e2e profile differs only in the inspect fuse', () => {
  assert.deepEqual(PRODUCTION_FUSES, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  });
  assert.deepEqual(fuseDifferences(), ['enableNodeCliInspectArguments']);
  assert.equal(E2E_FUSES.enableNodeCliInspectArguments, true);
  assert.deepEqual(makeConfig({}).electronFuses, PRODUCTION_FUSES);
  assert.deepEqual(makeConfig({ PARLEY_E2E_BUILD: 'true' }).electronFuses, PRODUCTION_FUSES, 'only "1" selects e2e');
  const e2e = makeConfig({ PARLEY_E2E_BUILD: '1' });
  assert.deepEqual(e2e.electronFuses, E2E_FUSES);
  assert.equal(e2e.directories?.output, 'dist/e2e', 'e2e builds never land next to release artifacts');
  assert.equal(e2e.publish, null, 'e2e builds have no update metadata');
  assert.equal(e2e.forceCodeSigning, false);
});

test('Windows: publisherName always set (electron-updater skips Authenticode checks without it)', () => {
  const plain = makeConfig({});
  assert.deepEqual(plain.win?.signtoolOptions?.publisherName, [DEFAULT_WIN_PUBLISHER_NAME]);
  assert.equal(plain.win?.azureSignOptions, undefined);
  assert.equal(plain.win?.verifyUpdateCodeSignature, true);
  assert.deepEqual(makeConfig({ PARLEY_WIN_PUBLISHER_NAME: 'Acme Corp GmbH' }).win?.signtoolOptions?.publisherName, ['Acme Corp GmbH']);
  const azure = makeConfig({
    AZURE_TRUSTED_SIGNING_ENDPOINT: 'https://weu.codesigning.azure.net',
    AZURE_TRUSTED_SIGNING_ACCOUNT: 'acme', AZURE_TRUSTED_SIGNING_CERTIFICATE_PROFILE: 'parley',
  });
  assert.equal(azure.win?.azureSignOptions?.publisherName, DEFAULT_WIN_PUBLISHER_NAME);
  assert.equal(azure.win?.azureSignOptions?.endpoint, 'https://weu.codesigning.azure.net');
  assert.equal(azure.win?.signtoolOptions, undefined);
  assert.equal(makeConfig({ PARLEY_RELEASE: '1' }).forceCodeSigning, true);
});

test('no secret values: none in the sources, none copied from the environment into the configuration', () => {
  const sources = ['build/electron-builder.config.ts', 'build/fuses.ts', 'build/scripts/app-files.ts'];
  const suspicious = [
    /-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)/, /\b(password|passphrase|secret|token)\b\s*[:=]\s*['"`][^'"`$]/i,
    /['"`][A-Za-z0-9+/]{40,}={0,2}['"`]/, /['"`][0-9a-f]{40,}['"`]/i, /AKIA[0-9A-Z]{16}/,
  ];
  for (const f of sources) {
    const text = readFileSync(join(root, f), 'utf8');
    for (const re of suspicious) assert.doesNotMatch(text, re, `${f} looks like it holds a secret (${re})`);
  }
  const secret = 'S3cr3t-value-that-must-not-leak';
  const c = makeConfig({
    CSC_LINK: secret, CSC_KEY_PASSWORD: secret, WIN_CSC_LINK: secret, WIN_CSC_KEY_PASSWORD: secret,
    APPLE_API_KEY: secret, APPLE_API_KEY_ID: secret, APPLE_API_ISSUER: secret, AZURE_CLIENT_SECRET: secret,
    PARLEY_UPDATE_PRIVATE_KEY: secret, PARLEY_GPG_PASSPHRASE: secret, PARLEY_GPG_KEY_ID: secret,
  });
  assert.ok(!JSON.stringify(c).includes(secret), 'a secret from the environment ended up in the configuration');
});

test('files: every platform has the full list (no top-level files) with its own SQLCipher prebuild', () => {
  const c = makeConfig({});
  assert.equal(c.files, undefined, 'top-level files would become a second matcher that copies the whole project');
  assert.deepEqual(c.asarUnpack, ['node_modules/@signalapp/sqlcipher/prebuilds/**/*.node']);
  const node = (os: string, arch: string) => `node_modules/@signalapp/sqlcipher/prebuilds/${os}-${arch}/@signalapp+sqlcipher.node`;
  const cases: [Platform, string, string][] = [['linux', 'linux', 'x64'], ['linux', 'linux', 'arm64'], ['win', 'win32', 'x64'], ['mac', 'darwin', 'arm64'], ['mac', 'darwin', 'x64']];
  for (const [os, nodeOs, arch] of cases) {
    const files = filesOf(c, os);
    for (const otherOs of ['linux', 'win32', 'darwin']) {
      for (const otherArch of ['x64', 'arm64']) {
        const keep = otherOs === nodeOs && otherArch === arch;
        assert.equal(selected(node(otherOs, otherArch), files, arch), keep, `${os}/${arch}: ${otherOs}-${otherArch} prebuild ${keep ? 'kept' : 'dropped'}`);
      }
    }
  }
});

test('files: representative paths and every tracked source file are excluded; the app build is included', () => {
  const files = filesOf(makeConfig({}), 'linux');
  const included = ['out/main/main.js', 'out/preload/preload.cjs', 'out/renderer/index.html', 'out/renderer/assets/index-abc.js',
    'package.json', 'node_modules/ws/index.js', 'node_modules/openid-client/build/index.js', 'node_modules/@signalapp/sqlcipher/dist/index.mjs',
    'node_modules/protobufjs/minimal.js'];
  const excluded = ['server/cli/parley-server.js', 'server/app.ts', 'tests/build/config.test.ts', 'out/main/main.js.map',
    'out/renderer/assets/index-abc.js.map', 'renderer/App.svelte', 'electron/main/main.ts', 'docs/release.md', 'crypto/signal.ts',
    'build/electron-builder.config.ts', 'playwright.config.ts', 'electron.vite.config.ts', 'tsconfig.json', 'test-results/x.png',
    'node_modules/ws/lib/x.js.map', 'node_modules/jose/dist/types/index.ts', 'node_modules/fastify/fastify.js',
    'node_modules/oidc-provider/lib/index.js', 'node_modules/pino/pino.js', 'node_modules/tsx/dist/cli.mjs',
    'node_modules/@fastify/websocket/index.js', 'node_modules/koa/lib/application.js', 'node_modules/dprint-node/dprint-node.linux-x64-gnu.node'];
  for (const p of included) assert.ok(selected(p, files, 'x64'), `${p} should ship`);
  for (const p of excluded) assert.ok(!selected(p, files, 'x64'), `${p} must not ship`);
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  const leaked = tracked.filter((p) => p !== 'package.json' && selected(p, files, 'x64'));
  assert.deepEqual(leaked, [], 'tracked repository files selected for app.asar');
});

test('server-only dependencies are excluded; nothing the app imports is', () => {
  const excluded = serverOnlyPackagePathsOf(root);
  for (const p of ['node_modules/fastify', 'node_modules/oidc-provider', 'node_modules/pino', 'node_modules/tsx', 'node_modules/@fastify/websocket']) {
    assert.ok(excluded.includes(p), `${p} excluded`);
  }
  for (const dep of [...APP_RUNTIME_DEPENDENCIES, 'jose', 'oauth4webapi', 'node-gyp-build', 'long']) {
    assert.ok(!excluded.includes(`node_modules/${dep}`), `${dep} is needed at run time`);
  }
});

test('the bundled main process imports only the declared runtime dependencies', () => {
  const main = join(root, 'out', 'main', 'main.js');
  // A clean checkout (CI) has no bundle yet: build it (electron-vite, ~2 s; needs no Electron binary).
  if (!existsSync(main)) execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build:desktop'], { cwd: root, stdio: 'ignore', timeout: 180_000 });
  assert.ok(existsSync(main), 'npm run build:desktop produced out/main/main.js');
  const text = readFileSync(main, 'utf8');
  const specs = new Set([...text.matchAll(/(?:from\s*|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!));
  const pkgName = (s: string) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!);
  const bare = [...specs].filter((s) => !s.startsWith('node:') && !s.startsWith('.') && s !== 'electron').map(pkgName);
  const undeclared = [...new Set(bare)].filter((p) => !APP_RUNTIME_DEPENDENCIES.includes(p));
  assert.deepEqual(undeclared, [], 'add them to APP_RUNTIME_DEPENDENCIES in build/scripts/app-files.ts');
});
