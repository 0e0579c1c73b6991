// The managed deployment policy: an admin-owned JSON file read once at launch (docs/deploy.md).
//
//   Linux (and other Unix)  /etc/parley/policy.json
//   macOS                   /Library/Application Support/Parley/policy.json
//   Windows                 C:\ProgramData\Parley\policy.json   (HKLM\Software\Policies\Parley: planned)
//
// The path is fixed per OS (never taken from an environment variable, which the user controls). Settings
// it sets cannot be overridden by the user: precedence is policy > command line > environment > defaults
// (effectiveSettings below).
//
// A hostile or broken file never stops the app and never loosens anything: it is REFUSED with a one-line
// reason and the app starts with SAFE_POLICY (the security switches pinned to their safe value). Refused:
// a symlink, not a regular file, larger than 64 KiB, not UTF-8 JSON, not an object, unknown keys, wrong
// types or ranges, plain-http URLs (except to 127.0.0.1) and, on Linux/macOS, a file (or its folder) not
// owned by root or writable by group/others. A missing file means "not managed": no policy, no problem.
import { execFileSync } from 'node:child_process';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { closeSync, constants as fsConstants, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { argValue, DEFAULT_SERVER, validServerUrl } from '../config/launch-options.ts';

export const MAX_POLICY_BYTES = 64 * 1024;

export const ManagedPolicySchema = Type.Object({
  /** The Parley server (relay). https; http only to 127.0.0.1. */
  serverUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  /** The OpenID Connect issuer users sign in with. https; http only to 127.0.0.1. */
  issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  /** The OIDC client ID of the desktop app at that issuer. */
  clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' })),
  /** Lock the local store after this many hours without reaching the server. */
  offlineLockHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 8760 })),
  /** Erase this device after this many days without reaching the server; null = never. */
  offlineWipeDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()])),
  /** Allow Linux's `basic_text` secret storage (not an OS keychain). */
  allowBasicTextKeyring: Type.Optional(Type.Boolean()),
  /** Which update channel this machine follows. */
  updateChannel: Type.Optional(Type.Union([Type.Literal('stable'), Type.Literal('beta')])),
}, { additionalProperties: false });
export type ManagedPolicy = Static<typeof ManagedPolicySchema>;

const EXPECTED: Record<keyof ManagedPolicy, string> = {
  serverUrl: 'an https URL (http only for 127.0.0.1)',
  issuer: 'an https URL (http only for 127.0.0.1)',
  clientId: 'a non-empty string of printable characters without spaces (at most 256)',
  offlineLockHours: 'a whole number of hours from 1 to 8760',
  offlineWipeDays: 'a whole number of days from 1 to 3650, or null for never',
  allowBasicTextKeyring: 'true or false',
  updateChannel: '"stable" or "beta"',
};
const KEYS = Object.keys(EXPECTED) as (keyof ManagedPolicy)[];
const checkPolicy = Compile(ManagedPolicySchema);

/** No policy file: nothing is managed. */
export const NO_POLICY: Readonly<ManagedPolicy> = Object.freeze({});
/** A policy file exists but was refused: the security-relevant switches are pinned to their safe value. */
export const SAFE_POLICY: Readonly<ManagedPolicy> = Object.freeze({ allowBasicTextKeyring: false, updateChannel: 'stable' });

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** macOS: what an MDM configuration profile for the domain com.acme.parley installs (root-owned plist). */
export const MACOS_MANAGED_PREFERENCES = '/Library/Managed Preferences/com.acme.parley.plist';

/** macOS's own converter: plist (XML or binary) → JSON, from stdin to stdout. */
export function plutilToJson(bytes: Uint8Array): Uint8Array {
  return execFileSync('/usr/bin/plutil', ['-convert', 'json', '-o', '-', '-'], { input: bytes, maxBuffer: MAX_POLICY_BYTES * 4, timeout: 5000 });
}

export function defaultPolicyPath(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return 'C:\\ProgramData\\Parley\\policy.json';
  if (platform === 'darwin') return '/Library/Application Support/Parley/policy.json';
  return '/etc/parley/policy.json';
}

/** What the loader needs from a stat result (fs.Stats fits). */
export interface PolicyStat {
  uid: number;
  mode: number;
  size: number;
  dev: number;
  ino: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}
export type StatFn = (path: string) => PolicyStat;

export interface PolicyLoadOptions {
  /** Default: defaultPolicyPath(platform). */
  path?: string;
  /** Default: process.platform. Owner and mode checks apply to everything but win32. */
  platform?: NodeJS.Platform;
  /** The owner the file and its folder must have; default 0 (root). Tests pass process.getuid(). */
  expectUid?: number;
  /** Stat of the file WITHOUT following a symlink; default fs.lstatSync. */
  lstat?: StatFn;
  /** Stat of the containing folder; default fs.statSync. */
  statDir?: StatFn;
  /** Turns a .plist's bytes into JSON bytes; default plutil (macOS). Tests pass a stand-in. */
  plistToJson?: (bytes: Uint8Array) => Uint8Array;
}

export type PolicyLoadResult =
  | { status: 'absent'; path: string; policy: ManagedPolicy }
  | { status: 'applied'; path: string; policy: ManagedPolicy }
  | { status: 'refused'; path: string; policy: ManagedPolicy; problem: string };

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

function checkOwnership(what: string, s: PolicyStat, expectUid: number): void {
  const who = expectUid === 0 ? 'root (uid 0)' : `uid ${expectUid}`;
  if (s.uid !== expectUid) throw new PolicyError(`${what} is owned by uid ${s.uid}, not by ${who}`);
  if ((s.mode & 0o022) !== 0) throw new PolicyError(`${what} is writable by group or others (mode ${octal(s.mode)})`);
}

/** Validates an already-parsed policy value; returns it normalized, or throws PolicyError with the reason. */
export function validatePolicy(value: unknown): ManagedPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PolicyError('it is not a JSON object');
  const unknown = Object.keys(value).filter((k) => !(KEYS as string[]).includes(k));
  if (unknown.length > 0) {
    throw new PolicyError(`it has unknown key${unknown.length === 1 ? '' : 's'} ${unknown.slice(0, 5).map((k) => JSON.stringify(k)).join(', ')} (allowed: ${KEYS.join(', ')})`);
  }
  if (!checkPolicy.Check(value)) {
    const first = checkPolicy.Errors(value)[0];
    const key = (first?.instancePath ?? '').split('/')[1] as keyof ManagedPolicy | undefined;
    if (key && key in EXPECTED) throw new PolicyError(`"${key}" must be ${EXPECTED[key]}, got ${JSON.stringify((value as Record<string, unknown>)[key])?.slice(0, 80)}`);
    throw new PolicyError(`it does not match the policy schema${first ? ` (${first.instancePath || '/'} ${first.message})` : ''}`);
  }
  const policy: ManagedPolicy = { ...value };
  if (policy.serverUrl !== undefined) policy.serverUrl = policyUrl('serverUrl', policy.serverUrl, true);
  if (policy.issuer !== undefined) policy.issuer = policyUrl('issuer', policy.issuer, false);
  return policy;
}

function policyUrl(key: string, raw: string, normalize: boolean): string {
  let u: URL;
  try { u = new URL(raw); } catch { throw new PolicyError(`"${key}" must be ${EXPECTED.serverUrl}, got ${JSON.stringify(raw.slice(0, 80))}`); }
  const loopback = u.protocol === 'http:' && u.hostname === '127.0.0.1';
  if (u.protocol !== 'https:' && !loopback) throw new PolicyError(`"${key}" must be ${EXPECTED.serverUrl}, got ${JSON.stringify(raw.slice(0, 80))}`);
  if (u.username !== '' || u.password !== '') throw new PolicyError(`"${key}" must not contain credentials`);
  if (u.search !== '' || u.hash !== '') throw new PolicyError(`"${key}" must not have a query or fragment`);
  // The issuer is kept byte for byte: OIDC compares it exactly.
  return normalize ? u.href.replace(/\/+$/, '') : raw;
}

/** Parses policy file content (bytes). Throws PolicyError with the reason. */
export function parsePolicy(bytes: Uint8Array): ManagedPolicy {
  if (bytes.byteLength > MAX_POLICY_BYTES) throw new PolicyError(`it is larger than ${MAX_POLICY_BYTES / 1024} KiB`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes); // strips a UTF-8 BOM
  } catch {
    throw new PolicyError('it is not UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(`it is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  return validatePolicy(value);
}

function readPolicyFile(path: string, opts: PolicyLoadOptions): ManagedPolicy | undefined {
  const platform = opts.platform ?? process.platform;
  const posix = platform !== 'win32';
  const expectUid = opts.expectUid ?? 0;
  let st: PolicyStat;
  try {
    st = (opts.lstat ?? lstatSync)(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new PolicyError(`it cannot be examined (${code ?? (err as Error).message})`);
  }
  if (st.isSymbolicLink()) throw new PolicyError('it is a symbolic link (the policy must be a regular file)');
  if (!st.isFile()) throw new PolicyError('it is not a regular file');
  if (st.size > MAX_POLICY_BYTES) throw new PolicyError(`it is larger than ${MAX_POLICY_BYTES / 1024} KiB (${st.size} bytes)`);
  if (posix) {
    checkOwnership('it', st, expectUid);
    let dir: PolicyStat;
    try { dir = (opts.statDir ?? statSync)(dirname(path)); } catch (err) {
      throw new PolicyError(`its folder cannot be examined (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    checkOwnership(`its folder ${dirname(path)}`, dir, expectUid);
  }
  // Open without following a symlink (and without blocking on a FIFO swapped in meanwhile), then make sure
  // the file read is the one examined above.
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (posix ? fsConstants.O_NONBLOCK ?? 0 : 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new PolicyError('it is a symbolic link (the policy must be a regular file)');
    throw new PolicyError(`it cannot be read (${code ?? (err as Error).message})`);
  }
  try {
    const now = fstatSync(fd);
    if (!now.isFile() || now.dev !== st.dev || now.ino !== st.ino) throw new PolicyError('it was replaced while being read');
    const buf = Buffer.alloc(MAX_POLICY_BYTES + 1);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, n);
      if (r === 0) break;
      n += r;
    }
    let bytes: Uint8Array = buf.subarray(0, n);
    if (path.endsWith('.plist')) {
      try {
        bytes = (opts.plistToJson ?? plutilToJson)(bytes);
      } catch (err) {
        throw new PolicyError(`it is not a readable property list (${(err as Error).message.split('\n')[0]})`);
      }
    }
    return parsePolicy(bytes);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the managed policy. Never throws: a refused file yields `status: 'refused'`, SAFE_POLICY and a
 * one-line `problem` for the log and the UI.
 */
export function loadManagedPolicy(opts: PolicyLoadOptions = {}): PolicyLoadResult {
  const platform = opts.platform ?? process.platform;
  // macOS: managed preferences (an MDM profile) take precedence over the JSON file.
  if (!opts.path && platform === 'darwin') {
    const managed = loadManagedPolicy({ ...opts, path: MACOS_MANAGED_PREFERENCES });
    if (managed.status !== 'absent') return managed;
  }
  const path = opts.path ?? defaultPolicyPath(platform);
  try {
    const policy = readPolicyFile(path, opts);
    return policy === undefined ? { status: 'absent', path, policy: { ...NO_POLICY } } : { status: 'applied', path, policy };
  } catch (err) {
    const reason = err instanceof PolicyError ? err.message : `it could not be read (${(err as Error).message.split('\n')[0]})`;
    return {
      status: 'refused',
      path,
      policy: { ...SAFE_POLICY },
      problem: `the managed policy ${path} was refused: ${reason}; Parley starts with safe defaults instead`,
    };
  }
}

// ---- precedence: policy > command line > environment > defaults ----

export type UpdateChannelSetting = 'stable' | 'beta';

export interface EffectiveSettings {
  serverUrl: string;
  /** undefined: the server's sign-in configuration decides. */
  issuer?: string;
  clientId?: string;
  /** undefined: the server's org policy decides. */
  offlineLockHours?: number;
  offlineWipeDays?: number | null;
  allowBasicTextKeyring: boolean;
  updateChannel: UpdateChannelSetting;
}

export interface LaunchInput {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

export interface SettingsDecision {
  settings: EffectiveSettings;
  /** The settings fixed by the policy (the UI shows them as "managed by your organization"). */
  managed: (keyof EffectiveSettings)[];
  /** User-supplied options ignored because the policy sets them, e.g. "--server", "PARLEY_SERVER". */
  ignored: string[];
}

/**
 * The settings the app runs with. Policy beats the command line (`--server URL`, `--allow-basic-text-keyring`,
 * `--update-channel C`), which beats the environment (PARLEY_SERVER, PARLEY_ALLOW_BASIC_TEXT_KEYRING=1,
 * PARLEY_UPDATE_CHANNEL), which beats the defaults. issuer, clientId and the offline limits come only from
 * the policy (otherwise from the server). Throws PolicyError for an invalid user value that would be used.
 */
export function effectiveSettings(policy: ManagedPolicy, launch: LaunchInput): SettingsDecision {
  const { argv, env } = launch;
  const managed: (keyof EffectiveSettings)[] = [];
  const ignored: string[] = [];
  const pick = <T>(key: keyof EffectiveSettings, fromPolicy: T | undefined, user: [string, T | undefined][], fallback: T): T => {
    const given = user.filter(([, v]) => v !== undefined);
    if (fromPolicy !== undefined) {
      managed.push(key);
      ignored.push(...given.map(([name]) => name));
      return fromPolicy;
    }
    return given[0]?.[1] ?? fallback;
  };
  const channel = (name: string, v: string | undefined): UpdateChannelSetting | undefined => {
    if (v === undefined) return undefined;
    if (v !== 'stable' && v !== 'beta') throw new PolicyError(`${name} must be "stable" or "beta", got ${JSON.stringify(v)}`);
    return v;
  };

  const serverFromUser: [string, string | undefined][] = [['--server', argValue(argv, '--server')], ['PARLEY_SERVER', env.PARLEY_SERVER]];
  const serverRaw = pick('serverUrl', policy.serverUrl, serverFromUser, DEFAULT_SERVER);
  const settings: EffectiveSettings = {
    serverUrl: policy.serverUrl !== undefined ? serverRaw : validServerUrl(serverRaw),
    allowBasicTextKeyring: pick('allowBasicTextKeyring', policy.allowBasicTextKeyring, [
      ['--allow-basic-text-keyring', argv.includes('--allow-basic-text-keyring') ? true : undefined],
      ['PARLEY_ALLOW_BASIC_TEXT_KEYRING', env.PARLEY_ALLOW_BASIC_TEXT_KEYRING === '1' ? true : undefined],
    ], false),
    updateChannel: 'stable',
  };
  if (policy.updateChannel !== undefined) {
    settings.updateChannel = pick('updateChannel', policy.updateChannel, [
      ['--update-channel', argValue(argv, '--update-channel')], ['PARLEY_UPDATE_CHANNEL', env.PARLEY_UPDATE_CHANNEL],
    ], 'stable') as UpdateChannelSetting;
  } else {
    settings.updateChannel = channel('--update-channel', argValue(argv, '--update-channel'))
      ?? channel('PARLEY_UPDATE_CHANNEL', env.PARLEY_UPDATE_CHANNEL) ?? 'stable';
  }
  for (const key of ['issuer', 'clientId', 'offlineLockHours', 'offlineWipeDays'] as const) {
    if (policy[key] !== undefined) {
      managed.push(key);
      (settings as unknown as Record<string, unknown>)[key] = policy[key];
    }
  }
  return { settings, managed, ignored };
}
