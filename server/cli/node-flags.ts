// Node flags a relay node is started with (build/deploy/parley-server.service, build/deploy/Containerfile, and
// the relay benchmarks, which start the server as those do; tests/server/deploy-files.test.ts keeps them equal).
// A bigger young generation: under load every send allocates short-lived frames, parsed bodies and promises
// while thousands of sends are in flight, and with V8's default 16 MiB semi-space each scavenge copies much of
// that in-flight state; at 64 MiB fewer survive to be copied or promoted. `npm run bench -- relay` (quick mode,
// four runs each, 2026-11-30): server CPU per socket-sent envelope 0.059–0.061 ms against 0.068–0.073 ms
// without it. The cost is memory under load only: the young generation grows to its maximum only when busy.
export const RELAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
