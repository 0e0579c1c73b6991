#!/usr/bin/env node
// `parley-release`: runs the compiled CLI, dist/cli/parley-release.mjs (built by `npm ci`; rebuilt first when missing or stale).
import { run } from '../../build/cli/compile.mjs';
await run('parley-release');
