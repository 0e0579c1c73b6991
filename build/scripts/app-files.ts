// What goes into app.asar: the electron-vite output (out/), package.json, and the production node_modules the
// desktop app really loads at run time. Used by build/electron-builder.config.ts and asserted by tests/build.
//
// electron-builder copies every package reachable from package.json "dependencies"; Parley's dependencies also
// hold the dev identity provider / relay server (fastify, oidc-provider, pino, tsx, ...), which the desktop
// app must not ship. So the packages reachable ONLY from server dependencies are excluded by path, computed
// from package-lock.json (Node's resolution: nearest node_modules up the tree).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bare imports of the bundled main process (out/main/main.js) and their owners; everything else is server-side.
 * tests/build/config.test.ts checks the built bundle imports nothing outside this list (plus node: and electron). */
export const APP_RUNTIME_DEPENDENCIES = Object.freeze([
  // XEdDSA signing under the protocol library (crypto/).
  '@noble/curves',
  '@privacyresearch/libsignal-protocol-typescript',
  '@signalapp/sqlcipher',
  'electron-updater',
  'openid-client',
  'typebox',
  'ws',
  // Loaded by the generated code of @privacyresearch/libsignal-protocol-protobuf-ts ('protobufjs/minimal'),
  // which only declares the code generator ts-proto as its dependency (protobufjs is hoisted from there).
  'protobufjs',
]);

/** Declared dependencies that are build-time code generators, never loaded at run time: their subtree is not
 * followed (ts-proto would pull dprint-node, a native formatter with binaries for every platform). bufferutil,
 * an optional peer of ws, speeds up the relay's frame unmasking only: the app does not ship it (its addon could
 * not load from app.asar anyway, and ws works without it). */
export const NOT_RUNTIME_PACKAGES = Object.freeze(['ts-proto', '@types/node', 'bufferutil']);

/** The native SQLCipher addon: only its prebuilds/<platform>-<arch>/ of the target is kept; unpacked from asar. */
export const SQLCIPHER_PREBUILDS = 'node_modules/@signalapp/sqlcipher/prebuilds';

/** electron-builder platform key (config section) → Node's process.platform name used by prebuild folders. */
export const PREBUILD_PLATFORM = Object.freeze({ linux: 'linux', win: 'win32', mac: 'darwin' } as const);
export type BuilderOs = keyof typeof PREBUILD_PLATFORM;

/** Per-platform `files` exclusion: every prebuild folder except <platform>-${arch} (electron-builder expands
 * ${arch} per target arch; ${platform} would be the HOST's platform, so the platform is spelled out here). */
export function prebuildFilter(os: BuilderOs): string {
  return `!${SQLCIPHER_PREBUILDS}/!(${PREBUILD_PLATFORM[os]}-\${arch}){,/**}`;
}

/** Repository paths that never belong in the app: sources, tests, the dev IdP/server, docs, build inputs. */
export const EXCLUDED_REPO_PATHS = Object.freeze([
  'server', 'tests', 'renderer', 'electron', 'crypto', 'docs', 'build', 'test-results', 'playwright-report',
  '.parley-dev', '.ci', '.github', 'dist', 'tmp',
]);

/** The `files` globs of one platform. Each platform section gets the COMPLETE list and the top level gets none:
 * electron-builder 26 turns top-level `files` into a separate file set, so a platform-level `files` next to it
 * would become a second matcher over the project root that (holding only exclusions) copies everything. */
export function filePatternsFor(os: BuilderOs, serverOnlyPaths: readonly string[]): string[] {
  return [...baseFilePatterns(serverOnlyPaths), prebuildFilter(os)];
}

/** The `files` globs shared by every platform. */
export function baseFilePatterns(serverOnlyPaths: readonly string[]): string[] {
  return [
    'out/**/*',
    'package.json',
    ...EXCLUDED_REPO_PATHS.map((p) => `!${p}{,/**}`),
    // Anywhere, node_modules included: source maps, TypeScript sources, tsconfig, test files of packages.
    '!**/*.map',
    '!**/*.{ts,mts,cts,tsx}',
    '!**/tsconfig*.json',
    '!**/*.{test,spec}.{js,mjs,cjs}',
    // Server-only production dependencies (dev IdP / relay), computed from package-lock.json; at the top level
    // and wherever electron-builder nests them.
    ...serverOnlyPaths.flatMap((p) => [`!${p}{,/**}`, `!node_modules/**/${p}{,/**}`]),
  ];
}

interface LockPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
interface Lockfile { packages?: Record<string, LockPackage> }

/** Node's resolution over package-lock "packages" keys: from `from` (a package path or '' for the root) up. */
function resolveIn(packages: Record<string, LockPackage>, from: string, name: string): string | null {
  let base = from;
  for (;;) {
    const key = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (packages[key] !== undefined) return key;
    if (base === '') return null;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

function closure(packages: Record<string, LockPackage>, roots: readonly string[], skip: readonly string[] = []): Set<string> {
  const seen = new Set<string>();
  const queue: (string | null)[] = roots.map((r) => resolveIn(packages, '', r));
  while (queue.length > 0) {
    const key = queue.pop();
    if (key === null || key === undefined || seen.has(key)) continue;
    seen.add(key);
    const p = packages[key] ?? {};
    for (const dep of Object.keys({ ...p.dependencies, ...p.optionalDependencies, ...p.peerDependencies })) {
      if (!skip.includes(dep)) queue.push(resolveIn(packages, key, dep));
    }
  }
  return seen;
}

const nameOf = (key: string): string => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** Package paths (e.g. "node_modules/fastify") for package NAMES reachable from production dependencies but not,
 * in any version, from the app's runtime dependencies. By name, not by lockfile location: electron-builder lays
 * out node_modules itself (it hoists nested versions, e.g. electron-updater's semver, to the top), so only a
 * name nothing at run time needs is safe to drop. Sorted. */
export function serverOnlyPackagePaths(lock: Lockfile, rootDependencies: readonly string[],
  runtime: readonly string[] = APP_RUNTIME_DEPENDENCIES): string[] {
  const packages = lock.packages ?? {};
  const all = new Set([...closure(packages, rootDependencies)].map(nameOf));
  const needed = new Set([...closure(packages, runtime, NOT_RUNTIME_PACKAGES)].map(nameOf));
  return [...all].filter((n) => !needed.has(n)).sort().map((n) => `node_modules/${n}`);
}

/** Reads package.json + package-lock.json of the project; [] (nothing excluded) when there is no lockfile. */
export function serverOnlyPackagePathsOf(projectDir: string): string[] {
  const lockPath = join(projectDir, 'package-lock.json');
  if (!existsSync(lockPath)) return [];
  const pkg = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as Lockfile;
  return serverOnlyPackagePaths(lock, Object.keys(pkg.dependencies ?? {}));
}
