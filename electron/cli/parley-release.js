#!/usr/bin/env node
// Thin launcher: loads the TypeScript sources through tsx (no build step needed after `npm ci`).
import { register } from 'tsx/esm/api';
register();
await import('./release-main.ts');
