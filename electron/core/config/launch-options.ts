// Command line and environment of the desktop app, PURE. `--server URL` (or `--server=URL`) beats
// PARLEY_SERVER beats the default. `--allow-basic-text-keyring` / PARLEY_ALLOW_BASIC_TEXT_KEYRING=1 is the
// explicit policy switch that lets the vault use Linux's `basic_text` backend (not an OS keychain).
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export class LaunchOptionsError extends Error {
  override name = 'LaunchOptionsError';
}

export interface LaunchOptions {
  serverUrl: string;
  allowBasicText: boolean;
  /** `--profile DIR` (parley-app / npm start); otherwise the app's userData folder. */
  profileDir?: string;
}

/** The last `--name VALUE` or `--name=VALUE` on the command line. */
export function argValue(argv: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === name) found = argv[i + 1];
    else if (a.startsWith(`${name}=`)) found = a.slice(name.length + 1);
  }
  return found;
}

export function validServerUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new LaunchOptionsError(`the server address is not a URL: ${raw}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new LaunchOptionsError(`the server address must be http(s): ${raw}`);
  if (u.username !== '' || u.password !== '') throw new LaunchOptionsError('the server address must not contain credentials');
  return u.href.replace(/\/+$/, '');
}

export function launchOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): LaunchOptions {
  const raw = argValue(argv, '--server') ?? env.PARLEY_SERVER ?? DEFAULT_SERVER;
  const profileDir = argValue(argv, '--profile');
  if (profileDir !== undefined && profileDir.trim() === '') throw new LaunchOptionsError('--profile needs a folder');
  return {
    serverUrl: validServerUrl(raw),
    allowBasicText: argv.includes('--allow-basic-text-keyring') || env.PARLEY_ALLOW_BASIC_TEXT_KEYRING === '1',
    ...(profileDir !== undefined ? { profileDir } : {}),
  };
}
