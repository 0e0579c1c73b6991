// `parley`: the messenger from a terminal, on the same client core as the desktop app. The commands live in
// commands/ (args.ts: usage and parsing; terminal.ts: every printed line is cleaned of control characters).
// Exit codes: 0 ok · 1 failed (network, server, store) · 2 bad usage or input · 3 device wiped · 4 locked ·
// 5 not allowed (the server or the group refused this user).
//
// Only what every command needs is imported up front; the client core (messenger.ts: the Signal library,
// the WebSocket client, sign-in…) and each command's module load when a command needs them, so
// `parley whoami` (commands/whoami.ts) never loads them at all.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PermissionError, UsageError } from '../core/context.ts';
import type { Messenger } from '../core/messenger.ts';
import { ErrorCode } from '../../common/errors.ts';
import { DeviceWipedError, prepareLaunch, runWipe, wipedSentence } from '../core/lifecycle/lifecycle.ts';
import { StoreError } from '../core/store/local-store.ts';
import { FileVault, VaultError } from '../core/store/vault.ts';
import { ExitError, parse, type Parsed } from './commands/args.ts';
import { say, sayErr, warn } from './commands/terminal.ts';

// Test hook for the crash tests: the process kills itself right after the named wipe step.
const KILL_AFTER = process.env.PARLEY_TEST_KILL_AFTER_WIPE_STEP;
const wipeHooks = KILL_AFTER ? { afterStep: (step: string) => { if (step === KILL_AFTER) process.kill(process.pid, 'SIGKILL'); } } : {};

function openInBrowser(url: string): Promise<void> {
  sayErr('Open this address in your browser to sign in:');
  sayErr(`  ${url}`);
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    spawn(opener, [url], { stdio: 'ignore', detached: true }).on('error', () => {}).unref();
  } catch { /* the printed address is enough */ }
  return Promise.resolve();
}

async function login({ values, profile }: Parsed): Promise<void> {
  if (!values.server) throw new ExitError(2, 'login needs --server URL');
  if (values.user !== undefined && values.browser) throw new ExitError(2, '--user and --browser exclude each other');
  let server: URL;
  try { server = new URL(values.server); } catch { throw new ExitError(2, `not a URL: ${values.server}`); }
  if (values.user !== undefined && !/^[A-Za-z0-9._@+-]{1,64}$/.test(values.user)) throw new ExitError(2, `not a user name: ${values.user}`);
  const method = values.user !== undefined
    ? { kind: 'dev-user' as const, username: values.user }
    : values.browser
      ? { kind: 'browser' as const, openBrowser: openInBrowser }
      : { kind: 'device-code' as const, onPrompt: (p: { verificationUri: string; verificationUriComplete?: string; userCode: string }) => {
          sayErr(`To sign in, open ${p.verificationUriComplete ?? p.verificationUri} and enter the code ${p.userCode}`);
        } };
  const [{ loginNewDevice }, { acceptAtLogin, consentHint }] = await Promise.all([import('../core/messenger.ts'), import('./commands/consent.ts')]);
  let m: Messenger;
  try {
    m = await loginNewDevice(profile, server.href, method, { warn, deviceKind: 'CLI' });
  } catch (err) {
    // A wiped profile stays wiped (its marker is the proof): say how to start over.
    if (err instanceof DeviceWipedError) {
      throw new ExitError(3, `${err.message} To sign in again, use a new profile folder (--profile) or delete ${profile} first.`);
    }
    throw err;
  }
  try {
    say(`Signed in as ${m.me.name} <${m.me.email}> (device ${m.me.deviceId}) on ${m.me.server}`);
    // The organization's welcome message, once per device at its first sign-in (business tools).
    const welcome = await m.business.org.unseenWelcome().catch(() => null);
    if (welcome) for (const line of ['', ...welcome.split('\n')]) say(line);
    if (values['accept-policy']) await acceptAtLogin(m);
    else await consentHint(m);
  } finally { m.close(); }
}

async function run(argv: string[]): Promise<void> {
  const parsed = parse(argv);
  const { command, values, profile } = parsed;
  if (command === 'login') return login(parsed);

  // The launch sequence runs before the store is unlocked: a wiped or locked device never opens it.
  const vault = new FileVault(join(profile, 'vault')); // = core/account/registration.ts defaultVault (not imported: it loads sign-in)
  const decision = await prepareLaunch(profile, vault, wipeHooks);
  if (decision.kind === 'wiped') throw new ExitError(3, decision.notice);
  if (decision.kind === 'locked') throw new ExitError(4, decision.notice);
  if (command === 'whoami' && await (await import('./commands/whoami.ts')).whoamiQuick(profile, vault, values.json === true)) return;
  const { Messenger, readProfileInfo, asWipeRequest, WipeRequestedError } = await import('../core/messenger.ts');
  const m = await Messenger.open(profile, { warn, vault });
  try {
    // Business tools first: some are admin subcommands.
    if (command === 'profile' || command.startsWith('admin profile ') || command.startsWith('admin welcome ')) await (await import('./commands/profile.ts')).profileCommand(m, parsed);
    else if (command === 'stats' || command === 'admin stats') await (await import('./commands/stats.ts')).statsCommand(m, parsed);
    else if (command.startsWith('away ') || command.startsWith('greeting ')) await (await import('./commands/away.ts')).awayCommand(m, parsed);
    else if (command.startsWith('quick-replies ')) await (await import('./commands/quick-replies.ts')).quickRepliesCommand(m, parsed);
    else if (command.startsWith('admin ')) await (await import('./commands/admin.ts')).adminCommand(m, parsed);
    else if (command.startsWith('groups ')) await (await import('./commands/groups.ts')).groupsCommand(m, parsed);
    else if (command.startsWith('working-hours ')) await (await import('./commands/working-hours.ts')).workingHoursCommand(m, parsed);
    else if (command.startsWith('consent ')) await (await import('./commands/consent.ts')).consentCommand(m, parsed);
    else if (command === 'devices' || command.startsWith('devices ')) await (await import('./commands/devices.ts')).devicesCommand(m, parsed);
    else if (command === 'logout') await (await import('./commands/devices.ts')).logoutCommand(m, profile, vault);
    else if (command === 'search') await (await import('./commands/search.ts')).searchCommand(m, parsed);
    else if (command === 'chats' || command.startsWith('chats ')) await (await import('./commands/chats.ts')).chatsCommand(m, parsed);
    else if (command === 'disappearing') await (await import('./commands/disappearing.ts')).disappearingCommand(m, parsed);
    else if (command === 'whoami') (await import('./commands/whoami.ts')).printWhoami({ ...m.me, vault: readProfileInfo(profile)!.vault }, values.json === true);
    else if (['react', 'edit', 'delete', 'read', 'history'].includes(command)) await (await import('./commands/message-actions.ts')).messageActionCommand(m, parsed);
    else await (await import('./commands/messages.ts')).messageCommand(m, parsed);
  } catch (err) {
    const wipe = asWipeRequest(err);
    if (wipe instanceof WipeRequestedError) {
      const notice = await runWipe(profile, vault, wipe.revoked ? 'device revoked' : 'wiped by an administrator', { ...wipeHooks, closeStore: () => m.close() });
      throw new ExitError(3, wipedSentence(notice));
    }
    throw err;
  } finally {
    try { m.close(); } catch { /* already closed by the wipe */ }
  }
}

async function exitCodeFor(err: unknown): Promise<{ code: number; message: string }> {
  if (err instanceof ExitError) return { code: err.code, message: err.message };
  if (err instanceof PermissionError) return { code: 5, message: err.message };
  if (err instanceof UsageError) return { code: 2, message: err.message };
  if (err instanceof DeviceWipedError) return { code: 3, message: err.message };
  if (err instanceof StoreError || err instanceof VaultError) return { code: 1, message: err.message };
  // These classes' modules loaded lazily: an error of theirs means they are loaded (the import is then free).
  const [{ SafetyNumberChangedError }, { ApiError, NetworkError }, { SignInError }] = await Promise.all([
    import('../core/trust/trust.ts'), import('../core/net/api.ts'), import('../core/auth/oidc.ts'),
  ]);
  if (err instanceof SafetyNumberChangedError) return { code: 1, message: err.message };
  // The server keeps messaging closed until the current policy is accepted: say what to do.
  if (err instanceof ApiError && err.code === ErrorCode.consent_required) {
    return { code: 5, message: `${err.message} Read it with: parley consent show — then accept it with: parley consent accept` };
  }
  if (err instanceof ApiError) {
    const code = err.status === 403 ? 5 : err.status >= 400 && err.status < 500 && err.status !== 401 ? 2 : 1;
    return { code, message: `server: ${err.message}` };
  }
  // People read this line: a sentence naming the server, the low-level reason last (ECONNREFUSED and the like).
  if (err instanceof NetworkError) return { code: 1, message: `Parley cannot reach the server right now (${err.message}). Check that it is running and that you are online, then try again.` };
  if (err instanceof SignInError) return { code: 1, message: err.message };
  return { code: 1, message: `unexpected error: ${err instanceof Error ? err.message : String(err)}` };
}

run(process.argv.slice(2)).then(
  () => process.exit(0),
  async (err) => {
    const { code, message } = await exitCodeFor(err).catch(() => ({ code: 1, message: `unexpected error: ${err instanceof Error ? err.message : String(err)}` }));
    sayErr(`parley: ${message.split('\n')[0]}`);
    if (process.env.PARLEY_DEBUG) console.error(err);
    process.exit(code);
  },
);
