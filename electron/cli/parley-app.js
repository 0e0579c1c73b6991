#!/usr/bin/env node
// `parley-app`: runs the compiled CLI, dist/cli/parley-app.mjs (built by `npm ci`; rebuilt first when missing or stale).
import { run } from '../../build/cli/compile.mjs';
await run('parley-app');
