#!/usr/bin/env node
// `npm start`: runs the compiled dev launcher, dist/cli/start.mjs (from electron/cli/start.ts; rebuilt first
// when missing or stale), the same compiled code as the bins.
import { run } from '../../build/cli/compile.mjs';
await run('start');
