// The layers of Parley (docs/architecture.md), enforced by dependency-cruiser in `npm test`
// (tests/layers.test.ts runs `depcruise` on common crypto electron server renderer build tests; a violation
// fails with the rule's NAME). Paths are relative to the directory depcruise runs in (the repository root).
//
//   common/    wire schemas, app API contract — pure: imports only common/, no Node I/O
//   crypto/    protocol wrapper — pure: imports common/ and itself, no Node I/O
//   electron/core/          client core in plain Node — never the shells above it, the server or the UI
//   electron/main/          the ONLY code importing 'electron'
//   electron/app/, browser-shell/, cli/   controller and launchers over the core
//   renderer/  Svelte UI — imports only common/ and itself
//   server/    relay/directory server — imports common/, never client code
//
// The one named exception: electron/cli/start.ts (`npm start`, the dev launcher) starts the relay server
// in-process next to one app, so it may import server/ (rule "client-not-server").
/** Node modules that do I/O (files, network, processes, threads, the OS): not for the pure layers. */
const NODE_IO = [
  'fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'child_process', 'cluster', 'dgram', 'dns', 'dns/promises',
  'tls', 'worker_threads', 'os', 'readline', 'readline/promises', 'repl', 'inspector', 'v8', 'vm', 'process',
  'module', 'perf_hooks', 'async_hooks', 'diagnostics_channel', 'trace_events', 'wasi', 'sqlite', 'test',
];
const nodeIo = `^(node:)?(${NODE_IO.map((m) => m.replace('/', '\\/')).join('|')})$`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'only-main-imports-electron',
      severity: 'error',
      comment: "Only electron/main/ may import 'electron' (elsewhere the module would try to download its binary).",
      from: { pathNot: '^electron/main/' },
      to: { path: '(^|/)node_modules/electron/|^electron$' },
    },
    {
      name: 'common-imports-only-common',
      severity: 'error',
      comment: 'common/ is shared by every layer, so it imports nothing of the project but itself.',
      from: { path: '^common/' },
      to: { pathNot: '^common/|(^|/)node_modules/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'crypto-imports-only-common',
      severity: 'error',
      comment: 'crypto/ is the protocol wrapper: it may use common/ and itself, nothing else of the project.',
      from: { path: '^crypto/' },
      to: { pathNot: '^(crypto|common)/|(^|/)node_modules/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'pure-layers-no-node-io',
      severity: 'error',
      comment: 'common/ and crypto/ do no I/O: no fs, net, http, child_process, … (node:crypto, node:util are fine).',
      from: { path: '^(common|crypto)/' },
      to: { dependencyTypes: ['core'], path: nodeIo },
    },
    {
      name: 'renderer-imports-only-common',
      severity: 'error',
      comment: 'The UI reaches the app only through the API contract in common/ (window.parley at run time).',
      from: { path: '^renderer/' },
      to: { pathNot: '^(renderer|common)/|(^|/)node_modules/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'renderer-src-no-node',
      severity: 'error',
      comment: 'renderer/src runs in a sandboxed page: no Node built-ins (vite.config.ts, at build time, may).',
      from: { path: '^renderer/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'server-not-client',
      severity: 'error',
      comment: 'The server imports common/ for the wire contract, never client code.',
      from: { path: '^server/' },
      to: { path: '^(electron|renderer|crypto)/' },
    },
    {
      name: 'client-not-server',
      severity: 'error',
      comment: 'Client code talks to the server over the wire only. Named exception: electron/cli/start.ts (npm start) runs the server in-process.',
      from: { path: '^electron/', pathNot: '^electron/cli/start\\.ts$' },
      to: { path: '^server/' },
    },
    {
      name: 'core-below-shells',
      severity: 'error',
      comment: 'electron/core/ is plain Node under every shell: it never imports main/, app/, browser-shell/, cli/, server/ or renderer/.',
      from: { path: '^electron/core/' },
      to: { path: '^(electron/(main|app|browser-shell|cli)|server|renderer)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve is a typo or a missing dependency (the rules above would not see it).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '(^|/)(dist|out)/' },
    moduleSystems: ['es6', 'cjs'],
    // Type-only imports count: a layer must not even name another's types (they would pull its module graph
    // into the type checker's view of that layer).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Specifiers name their .ts files (allowImportingTsExtensions); .svelte components are parsed by svelte's compiler.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.svelte', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
