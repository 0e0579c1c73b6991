#!/usr/bin/env node
// The system packages the tests need, checked before anything runs: on a fresh machine `npm test` stops at
// once with one line saying what to install, instead of a browser-launch stack trace minutes later.
// Keep the list equal to README.md's set-up line and .ci/run (tests/build/system-check.test.ts holds them so).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Debian package → the file that shows it is installed (overridable like the tests that use it). */
export const SYSTEM_PACKAGES = Object.freeze({
  chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', // Playwright UI tests, browser-shell tests
  xvfb: '/usr/bin/xvfb-run', // the browser-shell window test (a real Chromium window on a virtual display)
  xauth: '/usr/bin/xauth', // xvfb-run needs it
  postgresql: `${process.env.PARLEY_PG_BIN ?? '/usr/lib/postgresql/15/bin'}/postgres`, // scale-out tests (tests/support/services.ts)
  'nats-server': process.env.PARLEY_NATS_BIN ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : '/usr/bin/nats-server'),
});

/** The one line to print when something is missing (of `only`, default all), or null when all is there. */
export function missingSystemPackages(only = Object.keys(SYSTEM_PACKAGES)) {
  const missing = only.filter((pkg) => !existsSync(SYSTEM_PACKAGES[pkg]));
  if (missing.length === 0) return null;
  return `npm test needs ${missing.join(', ')} (not found: ${missing.map((p) => SYSTEM_PACKAGES[p]).join(', ')}); install with: ` +
    `sudo apt-get install -y ${Object.keys(SYSTEM_PACKAGES).join(' ')}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const line = missingSystemPackages();
  if (line) {
    process.stderr.write(`${line}\n`);
    process.exit(1);
  }
}
