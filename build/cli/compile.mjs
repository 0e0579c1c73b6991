// The command-line entry points compiled ahead of time: parley, parley-app, parley-release, parley-server and
// `npm start` are bundled by esbuild from their TypeScript sources into dist/cli/*.mjs (one ESM file per entry,
// code they share in chunk-*.mjs beside them, lazy `import()`s kept lazy). npm packages stay external — the
// native SQLCipher addon, fastify, oidc-provider… load from node_modules as usual — except the pure-ESM ones in
// BUNDLED, which are spread over hundreds of small files (typebox: ~700): loading those one by one cost every
// CLI call 1–2 s on a busy machine, and the tests make hundreds of CLI calls.
//
// Built by `npm ci` / `npm install` (package.json "prepare": `node build/cli/compile.mjs`). The bins call
// compiled(), which rebuilds first when dist/cli is missing or any source is newer than the build, so an edit
// is never run stale and a checkout installed with --ignore-scripts still works. Plain JavaScript on purpose:
// it runs before anything can load TypeScript.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const OUT_DIR = join(ROOT, 'dist', 'cli');
const MANIFEST = join(OUT_DIR, 'manifest.json');
const SELF = fileURLToPath(import.meta.url);

/** Output name → TypeScript source (relative to the repository root). */
export const ENTRIES = Object.freeze({
  parley: 'electron/cli/main.ts',
  'parley-app': 'electron/cli/app-main.ts',
  'parley-release': 'electron/cli/release-main.ts',
  'parley-server': 'server/cli/main.ts',
  start: 'electron/cli/start.ts',
  // The client core's encrypt worker thread (electron/core/outgoing/encrypt-pool.ts starts it by this name).
  'encrypt-worker': 'electron/core/outgoing/encrypt-worker.ts',
});
/** Where the compiled worker is, relative to the pool's source file (import.meta.url there names that file). */
const ENCRYPT_WORKER = relative(join(ROOT, 'electron', 'core', 'outgoing'), join(OUT_DIR, 'encrypt-worker.mjs')).split(sep).join('/');

/**
 * Packages without files of their own to find (no __dirname, no import.meta.url): bundled. The pure-ESM ones,
 * and the Signal library with its protobuf code (CommonJS: as separate files Node had to scan each one for
 * its exports and compile it apart, ~60 ms of every start; their own require()s of packages left external go
 * through the banner's require). Not @privacyresearch/curve25519-typescript: its Emscripten loader uses
 * __dirname.
 */
const BUNDLED = /^(typebox|@noble\/curves|@noble\/hashes|openid-client|oauth4webapi|jose|@privacyresearch\/libsignal-protocol-(typescript|protobuf-ts)|protobufjs|@protobufjs\/[a-z]+|base64-js)(\/|$)/;
/** CommonJS code in the bundle may require() a package left external: ESM has no require of its own. */
const REQUIRE_BANNER = "import { createRequire as __parleyCreateRequire } from 'node:module'; const require = __parleyCreateRequire(import.meta.url);";
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    // A bare specifier (not ./, ../ or an absolute path) is a package or a Node built-in.
    build.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED.test(args.path) ? undefined : { path: args.path, external: true }));
  },
};

/**
 * Sources locate files next to themselves (the browser shell's bridge.js, renderer/dist, the repository root)
 * with `new URL(…, import.meta.url)`. In a bundle import.meta.url is the bundle's, so each source's
 * import.meta.url is rewritten to its own file's URL, expressed relative to dist/cli (the checkout may move).
 */
const sourceImportMeta = {
  name: 'source-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      if (args.path.split(sep).includes('node_modules')) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      if (/import\.meta\.(dirname|filename|resolve)\b/.test(text)) {
        return { errors: [{ text: 'use new URL(…, import.meta.url): import.meta.dirname/filename/resolve would name dist/cli once compiled' }] };
      }
      const rel = relative(OUT_DIR, args.path).split(sep).join('/');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js',
      };
    });
  },
};

function writeAtomic(path, contents) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

/** Builds every entry into dist/cli. Safe to run in several processes at once (each file is renamed into place,
 * chunks before the entries that import them, the manifest last). `clean` empties dist/cli first. */
export async function compile({ clean = false } = {}) {
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, src]) => [name, join(ROOT, src)])),
    outdir: OUT_DIR,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: join(ROOT, 'tsconfig.json'),
    legalComments: 'none',
    metafile: true,
    write: false,
    logLevel: 'silent',
    plugins: [externalPackages, sourceImportMeta],
    banner: { js: REQUIRE_BANNER },
    define: { PARLEY_ENCRYPT_WORKER: JSON.stringify(ENCRYPT_WORKER) },
  });
  if (clean) rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const isEntry = (p) => Object.keys(ENTRIES).some((name) => p === join(OUT_DIR, `${name}.mjs`));
  const files = [...result.outputFiles].sort((a, b) => Number(isEntry(a.path)) - Number(isEntry(b.path)));
  for (const f of files) writeAtomic(f.path, f.contents);
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules/'));
  writeAtomic(MANIFEST, `${JSON.stringify({ builtAt: startedAt, inputs, outputs: files.map((f) => relative(OUT_DIR, f.path)) }, null, 1)}\n`);
  pruneOldChunks(new Set(files.map((f) => f.path)));
}

/** Chunks of earlier builds: removed once they are old enough that no process started from them still loads them. */
function pruneOldChunks(current) {
  const cutoff = Date.now() - 10 * 60_000;
  for (const name of readdirSync(OUT_DIR)) {
    const p = join(OUT_DIR, name);
    if (!/^chunk-.*\.mjs$/.test(name) || current.has(p)) continue;
    try { if (statSync(p).mtimeMs < cutoff) rmSync(p, { force: true }); } catch { /* another process pruned it */ }
  }
}

/** Why dist/cli must be rebuilt, or null when it is up to date with every source it was built from. */
export function staleReason() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
  } catch {
    return 'not built yet';
  }
  for (const out of manifest.outputs ?? []) if (!existsSync(join(OUT_DIR, out))) return `${out} is missing`;
  for (const input of [SELF, ...manifest.inputs.map((p) => join(ROOT, p))]) {
    let mtime;
    try { mtime = statSync(input).mtimeMs; } catch { return `${relative(ROOT, input)} is gone`; }
    if (mtime >= manifest.builtAt) return `${relative(ROOT, input)} changed`;
  }
  // A new entry point (ENTRIES edited) is covered by SELF's mtime.
  return null;
}

/**
 * staleReason() with the files looked at in parallel (every bin call runs it before anything else: one by one,
 * the ~300 stats took 15–25 ms of each start). Any staleness found counts, not necessarily the first.
 */
async function isStale() {
  let manifest;
  try {
    manifest = JSON.parse(await readFile(MANIFEST, 'utf8'));
  } catch {
    return true;
  }
  const builtAt = manifest.builtAt;
  const checks = [
    ...(manifest.outputs ?? []).map((out) => stat(join(OUT_DIR, out)).then(() => false)),
    ...[SELF, ...manifest.inputs.map((p) => join(ROOT, p))].map((input) => stat(input).then((s) => s.mtimeMs >= builtAt)),
  ];
  return (await Promise.all(checks.map((c) => c.catch(() => true)))).some(Boolean);
}

/** The file URL of a compiled entry, rebuilding dist/cli first when it is missing or stale. */
export async function compiled(name) {
  if (!(name in ENTRIES)) throw new Error(`no such CLI entry point: ${name}`);
  if (await isStale()) await compile();
  return pathToFileURL(join(OUT_DIR, `${name}.mjs`)).href;
}

/** Runs a compiled entry (what each bin does); a failed build is a one-line error, not a stack trace. */
export async function run(name) {
  let url;
  try {
    url = await compiled(name);
  } catch (err) {
    const first = err.errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
    process.stderr.write(`${name}: cannot compile the command-line tool: ${where}${first?.text ?? err.message}\n`);
    process.exit(1);
  }
  await import(url);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = Date.now();
  try {
    await compile({ clean: true });
  } catch (err) {
    for (const e of err.errors ?? [err]) process.stderr.write(`build/cli/compile.mjs: ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text ?? e.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`compiled ${Object.keys(ENTRIES).join(', ')} into ${relative(ROOT, OUT_DIR)}/ in ${Date.now() - t0} ms\n`);
}
