// Electron fuses of Parley's packaged app, shared by the electron-builder config (build/electron-builder.config.ts)
// and the tests (tests/build/config.test.ts). Fuses are bits in the Electron binary, flipped by electron-builder
// (`electronFuses`, via @electron/fuses) BEFORE code signing, so the OS signature covers them.
//
// Two profiles:
//  - production: everything that lets someone run other code with the app's identity is off.
//  - e2e (env PARLEY_E2E_BUILD=1): identical, except EnableNodeCliInspectArguments stays ON, because Playwright's
//    `_electron.launch` attaches through `--inspect=0` and times out otherwise (Signal Desktop: DISABLE_INSPECT_FUSE;
//    element-desktop PR 1412). An e2e build is a CI artifact only: never published, never signed for release.
import type { FuseOptionsV1 } from 'app-builder-lib';

/** The production fuse table (electron docs, tutorial/fuses.md). */
export const PRODUCTION_FUSES = Object.freeze({
  /** ELECTRON_RUN_AS_NODE ignored: the signed binary cannot be used as a generic Node interpreter. */
  runAsNode: false,
  /** Cookie store encrypted with the OS key (one-way: never turn it off again). */
  enableCookieEncryption: true,
  /** NODE_OPTIONS / NODE_EXTRA_CA_CERTS ignored: no code injection (or CA injection) through the environment. */
  enableNodeOptionsEnvironmentVariable: false,
  /** --inspect / --inspect-brk / SIGUSR1 ignored: no debugger attach to the main process. */
  enableNodeCliInspectArguments: false,
  /** app.asar checked against the hash embedded in the (signed) binary: macOS, and Windows since Electron 30. */
  enableEmbeddedAsarIntegrityValidation: true,
  /** Load the app only from app.asar (not app/ or default_app.asar), so the integrity check cannot be bypassed. */
  onlyLoadAppFromAsar: true,
  /** Default V8 snapshot for the browser process (no custom snapshot shipped). */
  loadBrowserProcessSpecificV8Snapshot: false,
  /** No extra privileges for file:// pages: the UI is served from app://parley. */
  grantFileProtocolExtraPrivileges: false,
} satisfies FuseOptionsV1);

/** The e2e profile: production fuses with the inspector left on for Playwright. */
export const E2E_FUSES = Object.freeze({
  ...PRODUCTION_FUSES,
  enableNodeCliInspectArguments: true,
} satisfies FuseOptionsV1);

/** Fuse names that differ between the two profiles (tests assert this is exactly the inspect fuse). */
export function fuseDifferences(): string[] {
  return (Object.keys(PRODUCTION_FUSES) as (keyof typeof PRODUCTION_FUSES)[])
    .filter((k) => PRODUCTION_FUSES[k] !== E2E_FUSES[k]);
}

/** True when the environment asks for the e2e profile. Only the exact value "1" counts. */
export function isE2EBuild(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PARLEY_E2E_BUILD === '1';
}

export function fusesFor(env: NodeJS.ProcessEnv = process.env): FuseOptionsV1 {
  return { ...(isE2EBuild(env) ? E2E_FUSES : PRODUCTION_FUSES) };
}
