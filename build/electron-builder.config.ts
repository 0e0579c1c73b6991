// electron-builder 26 configuration of Parley's installers. Loaded by electron-builder through jiti:
//   npx electron-builder --config build/electron-builder.config.ts --linux|--win|--mac [--dir]
// (npm scripts dist:*). Everything secret comes from the environment, read by electron-builder itself
// (CSC_LINK, CSC_KEY_PASSWORD, WIN_CSC_LINK, WIN_CSC_KEY_PASSWORD, APPLE_API_KEY, APPLE_API_KEY_ID,
// APPLE_API_ISSUER, AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET) — never written here.
// See docs/release.md, "Installers and signing".
import type { Configuration } from 'electron-builder';
import { fileURLToPath } from 'node:url';
import { fusesFor, isE2EBuild } from './fuses.ts';
import { filePatternsFor, serverOnlyPackagePathsOf, SQLCIPHER_PREBUILDS } from './scripts/app-files.ts';

export const APP_ID = 'com.acme.parley';
export const PRODUCT_NAME = 'Parley';
/** The subject CN of the Windows code-signing certificate. electron-updater verifies the Authenticode signature
 * of a downloaded update against it, and SKIPS that check when no publisherName is configured — so it is always
 * set (override with PARLEY_WIN_PUBLISHER_NAME when the certificate's CN differs; a wrong name fails closed). */
export const DEFAULT_WIN_PUBLISHER_NAME = 'Acme Corporation';

const projectDir = fileURLToPath(new URL('..', import.meta.url));

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** Windows signing: Azure Trusted Signing when its three AZURE_TRUSTED_SIGNING_* settings are present (the
 * Entra ID credentials stay in AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, read by the signing module);
 * otherwise signtool with the certificate from WIN_CSC_LINK/WIN_CSC_KEY_PASSWORD (read by electron-builder). */
function windowsSigning(env: NodeJS.ProcessEnv, publisherName: string): Pick<NonNullable<Configuration['win']>, 'azureSignOptions' | 'signtoolOptions'> {
  const endpoint = nonEmpty(env.AZURE_TRUSTED_SIGNING_ENDPOINT);
  const account = nonEmpty(env.AZURE_TRUSTED_SIGNING_ACCOUNT);
  const profile = nonEmpty(env.AZURE_TRUSTED_SIGNING_CERTIFICATE_PROFILE);
  if (endpoint !== undefined && account !== undefined && profile !== undefined) {
    return {
      azureSignOptions: {
        publisherName,
        endpoint,
        codeSigningAccountName: account,
        certificateProfileName: profile,
        fileDigest: 'SHA256',
        timestampDigest: 'SHA256',
        timestampRfc3161: 'http://timestamp.acs.microsoft.com',
      },
    };
  }
  return {
    signtoolOptions: {
      publisherName: [publisherName],
      signingHashAlgorithms: ['sha256'],
      rfc3161TimeStampServer: 'http://timestamp.digicert.com',
    },
  };
}

/** The configuration for a given environment (tests call this with crafted environments). */
export function makeConfig(env: NodeJS.ProcessEnv = process.env, dir: string = projectDir): Configuration {
  const e2e = isE2EBuild(env);
  const release = env.PARLEY_RELEASE === '1';
  const publisherName = nonEmpty(env.PARLEY_WIN_PUBLISHER_NAME) ?? DEFAULT_WIN_PUBLISHER_NAME;
  const electronDist = nonEmpty(env.ELECTRON_OVERRIDE_DIST_PATH);
  const excluded = serverOnlyPackagePathsOf(dir);
  const updateUrl = nonEmpty(env.PARLEY_UPDATE_URL) ?? 'https://updates.parley.invalid/desktop';

  return {
    appId: APP_ID,
    productName: PRODUCT_NAME,
    copyright: 'Copyright © Acme Corporation',
    directories: { buildResources: 'build', output: e2e ? 'dist/e2e' : 'dist' },
    ...(electronDist !== undefined ? { electronDist } : {}),
    artifactName: '${productName}-${version}-${os}-${arch}.${ext}',

    // What ships: the electron-vite output, package.json and the runtime node_modules; never tests, source maps,
    // TypeScript sources, docs, or the dev IdP/relay server (server/** and its server-only dependencies).
    // `files` is per platform only (see filePatternsFor), with that platform's SQLCipher prebuild.
    asar: true,
    asarUnpack: [`${SQLCIPHER_PREBUILDS}/**/*.node`],
    // N-API prebuilt addon: no node-gyp against Electron headers (which would need the network).
    npmRebuild: false,
    nodeGypRebuild: false,
    buildDependenciesFromSource: false,
    includePdb: false,

    electronFuses: fusesFor(env),
    // With PARLEY_RELEASE=1 (the release workflow), an unsigned Windows/macOS build is an error, not a warning.
    forceCodeSigning: release && !e2e,

    // electron-updater metadata (latest*.yml, app-update.yml). Uploading is done by the release workflow
    // (--publish never), together with Parley's own update signatures (.sig).
    publish: e2e ? null : [{ provider: 'generic', url: updateUrl, channel: 'latest' }],

    linux: {
      target: ['deb', 'rpm', 'AppImage', 'tar.gz'],
      executableName: 'parley',
      category: 'Network;InstantMessaging',
      synopsis: 'Enterprise end-to-end encrypted messenger',
      description: 'Parley: an enterprise secure messenger (SSO identities, Signal protocol, self-hosted relay).',
      maintainer: 'Acme Parley Team <parley@acme.example>',
      vendor: 'Acme Corporation',
      files: filePatternsFor('linux', excluded),
    },
    deb: { artifactName: '${name}_${version}_${arch}.${ext}', packageCategory: 'net' },
    rpm: { artifactName: '${name}-${version}.${arch}.${ext}' },

    win: {
      target: [{ target: 'nsis', arch: ['x64'] }],
      files: filePatternsFor('win', excluded),
      verifyUpdateCodeSignature: true,
      ...windowsSigning(env, publisherName),
    },
    nsis: {
      oneClick: false,
      // Assisted installer: the user (or `Parley-Setup.exe /S /allusers` from a deployment tool) chooses a
      // per-machine install into Program Files; elevation is requested only for that choice.
      perMachine: false,
      allowElevation: true,
      allowToChangeInstallationDirectory: true,
      deleteAppDataOnUninstall: false,
      createDesktopShortcut: true,
      artifactName: '${productName}-Setup-${version}-${arch}.${ext}',
    },

    mac: {
      target: [{ target: 'dmg', arch: ['x64', 'arm64'] }, { target: 'zip', arch: ['x64', 'arm64'] }],
      category: 'public.app-category.business',
      files: filePatternsFor('mac', excluded),
      hardenedRuntime: true,
      gatekeeperAssess: false,
      entitlements: 'build/entitlements.mac.plist',
      entitlementsInherit: 'build/entitlements.mac.plist',
      // Notarization with the App Store Connect API key from APPLE_API_KEY (path to the .p8), APPLE_API_KEY_ID,
      // APPLE_API_ISSUER; skipped (with a warning) when they are absent — release builds check them first
      // (build/scripts/check-signing-env.sh).
      notarize: true,
    },
    dmg: { sign: false },
  };
}

export default makeConfig();
