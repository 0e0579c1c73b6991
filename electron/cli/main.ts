// `parley`: the messenger from a terminal, on the same client core as the desktop app. The commands live in
// commands/ (args.ts: usage and parsing; terminal.ts: every printed line is cleaned of control characters).
// Exit codes: 0 ok · 1 failed (network, server, store) · 2 bad usage or input · 3 device wiped · 4 locked ·
// 5 not allowed (the server or the group refused this user).
import { spawn } from 'node:child_process';
import { asWipeRequest, defaultVault, loginNewDevice, Messenger, PermissionError, readProfileInfo, SafetyNumberChangedError, UsageError, WipeRequestedError } from '../core/messenger.ts';
import { DeviceWipedError, prepareLaunch, runWipe, wipedSentence } from '../core/lifecycle/lifecycle.ts';
import { ApiError, ErrorCode, NetworkError } from '../core/net/api.ts';
import { SignInError } from '../core/auth/oidc.ts';
import { StoreError } from '../core/store/local-store.ts';
import { VaultError } from '../core/store/vault.ts';
import { ExitError, parse, type Parsed } from './commands/args.ts';
import { adminCommand } from './commands/admin.ts';
import { profileCommand } from './commands/profile.ts';
import { awayCommand } from './commands/away.ts';
import { quickRepliesCommand } from './commands/quick-replies.ts';
import { statsCommand } from './commands/stats.ts';
import { workingHoursCommand } from './commands/working-hours.ts';
import { acceptAtLogin, consentCommand, consentHint } from './commands/consent.ts';
import { devicesCommand, logoutCommand } from './commands/devices.ts';
import { groupsCommand } from './commands/groups.ts';
import { messageCommand } from './commands/messages.ts';
import { messageActionCommand } from './commands/message-actions.ts';
import { searchCommand } from './commands/search.ts';
import { chatsCommand } from './commands/chats.ts';
import { disappearingCommand } from './commands/disappearing.ts';
import { say, sayErr, sayJson, warn } from './commands/terminal.ts';

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
  const vault = defaultVault(profile);
  const decision = await prepareLaunch(profile, vault, wipeHooks);
  if (decision.kind === 'wiped') throw new ExitError(3, decision.notice);
  if (decision.kind === 'locked') throw new ExitError(4, decision.notice);
  const m = await Messenger.open(profile, { warn, vault });
  try {
    // Business tools first: some are admin subcommands.
    if (command === 'profile' || command.startsWith('admin profile ') || command.startsWith('admin welcome ')) await profileCommand(m, parsed);
    else if (command === 'stats' || command === 'admin stats') await statsCommand(m, parsed);
    else if (command.startsWith('away ') || command.startsWith('greeting ')) await awayCommand(m, parsed);
    else if (command.startsWith('quick-replies ')) await quickRepliesCommand(m, parsed);
    else if (command.startsWith('admin ')) await adminCommand(m, parsed);
    else if (command.startsWith('groups ')) await groupsCommand(m, parsed);
    else if (command.startsWith('working-hours ')) await workingHoursCommand(m, parsed);
    else if (command.startsWith('consent ')) await consentCommand(m, parsed);
    else if (command === 'devices' || command.startsWith('devices ')) await devicesCommand(m, parsed);
    else if (command === 'logout') await logoutCommand(m, profile, vault);
    else if (command === 'search') await searchCommand(m, parsed);
    else if (command === 'chats' || command.startsWith('chats ')) await chatsCommand(m, parsed);
    else if (command === 'disappearing') await disappearingCommand(m, parsed);
    else if (command === 'whoami') {
      const info = readProfileInfo(profile)!;
      const me = { ...m.me, vault: info.vault };
      if (values.json) sayJson(me);
      else for (const line of [`${me.name} <${me.email}>`, `user ${me.userId} · device ${me.deviceId}`, `server ${me.server}`, `issuer ${me.issuer}`, ...(me.orgAdmin ? ['org admin'] : [])]) say(line);
    } else if (['react', 'edit', 'delete', 'read', 'history'].includes(command)) await messageActionCommand(m, parsed);
    else await messageCommand(m, parsed);
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

function exitCodeFor(err: unknown): { code: number; message: string } {
  if (err instanceof ExitError) return { code: err.code, message: err.message };
  if (err instanceof PermissionError) return { code: 5, message: err.message };
  if (err instanceof UsageError) return { code: 2, message: err.message };
  if (err instanceof DeviceWipedError) return { code: 3, message: err.message };
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
  if (err instanceof SignInError || err instanceof StoreError || err instanceof VaultError) return { code: 1, message: err.message };
  return { code: 1, message: `unexpected error: ${err instanceof Error ? err.message : String(err)}` };
}

run(process.argv.slice(2)).then(
  () => process.exit(0),
  (err) => {
    const { code, message } = exitCodeFor(err);
    sayErr(`parley: ${message.split('\n')[0]}`);
    if (process.env.PARLEY_DEBUG) console.error(err);
    process.exit(code);
  },
);
