#!/usr/bin/env node
// `parley-server`: runs the compiled server CLI, dist/cli/parley-server.mjs (built by `npm ci`; rebuilt first
// when missing or stale; see build/cli/compile.mjs).
import { run } from '../../build/cli/compile.mjs';
await run('parley-server');
