// `parley`: the messenger from a terminal, on the same client core as the desktop app.
// Exit codes: 0 ok · 1 failed (network, server, store) · 2 bad usage or input · 3 (reserved) device wiped.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { asWipeRequest, defaultVault, loginNewDevice, Messenger, readProfileInfo, SafetyNumberChangedError, UsageError, WipeRequestedError, type ReceivedMessage } from '../core/messenger.ts';
import { DeviceWipedError, prepareLaunch, runWipe, wipedSentence } from '../core/lifecycle/lifecycle.ts';
import { ApiError, NetworkError } from '../core/net/api.ts';
import { SignInError } from '../core/auth/oidc.ts';
import { StoreError } from '../core/store/local-store.ts';
import { VaultError } from '../core/store/vault.ts';

const USAGE = `usage: parley --profile DIR <command>
  login --server URL [--user NAME | --browser]   sign this device in (--user: demo login, dev IdP only;
                                                 default: device code shown here, enter it in any browser)
  send EMAIL TEXT                                send an end-to-end encrypted message
  send --group GROUP TEXT                        send to a group (GROUP: its name or id)
  groups create NAME --members EMAIL,EMAIL [--announcement] [--confidential]
                                                 create a group (you become its owner)
  groups create NAME --directory-group NAME [--members …]
                                                 org admins: a group that follows an IdP group (SCIM)
  groups list [--json]                           your groups
  groups members GROUP [--json]                  members and roles (confidential groups: admins only)
  groups add|remove|promote|demote GROUP EMAIL   group admins and org admins: manage members and roles
  groups leave GROUP                             leave a group
  receive [--wait SECONDS] [--json]              fetch and show new messages (--wait: keep listening
                                                 that long after the queue; prints "listening" on stderr)
  whoami [--json]                                show the signed-in account and device
  safety-number EMAIL [--mark-verified] [--json] show (and mark verified) the safety number with EMAIL
  admin devices [--user EMAIL] [--json]          org admins: list users and their devices
  admin wipe (--user EMAIL | --device ID) [--reason TEXT]   org admins: wipe devices remotely
  admin revoke (--user EMAIL | --device ID) [--reason TEXT] org admins: revoke devices (signed out, wiped)
  admin audit [--json]                           org admins: the audit log, newest first
exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 this device was wiped, 4 locked (reconnect to continue)`;

const COMMANDS: Record<string, { options: string[]; positionals: number }> = {
  login: { options: ['server', 'user', 'browser'], positionals: 0 },
  send: { options: ['group'], positionals: 2 },
  'groups create': { options: ['members', 'announcement', 'confidential', 'directory-group'], positionals: 1 },
  'groups list': { options: ['json'], positionals: 0 },
  'groups members': { options: ['json'], positionals: 1 },
  'groups add': { options: [], positionals: 2 },
  'groups remove': { options: [], positionals: 2 },
  'groups promote': { options: [], positionals: 2 },
  'groups demote': { options: [], positionals: 2 },
  'groups leave': { options: [], positionals: 1 },
  receive: { options: ['wait', 'json'], positionals: 0 },
  whoami: { options: ['json'], positionals: 0 },
  'safety-number': { options: ['mark-verified', 'json'], positionals: 1 },
  'admin devices': { options: ['user', 'json'], positionals: 0 },
  'admin wipe': { options: ['user', 'device', 'reason'], positionals: 0 },
  'admin revoke': { options: ['user', 'device', 'reason'], positionals: 0 },
  'admin audit': { options: ['json'], positionals: 0 },
};

class ExitError extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        profile: { type: 'string' },
        server: { type: 'string' },
        user: { type: 'string' },
        browser: { type: 'boolean' },
        wait: { type: 'string' },
        json: { type: 'boolean' },
        'mark-verified': { type: 'boolean' },
        device: { type: 'string' },
        reason: { type: 'string' },
        group: { type: 'string' },
        members: { type: 'string' },
        announcement: { type: 'boolean' },
        confidential: { type: 'boolean' },
        'directory-group': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new ExitError(2, `${(err as Error).message.split('\n')[0]} (see parley --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) { process.stdout.write(`${USAGE}\n`); process.exit(0); }
  let [command, ...args] = positionals;
  if (!command) throw new ExitError(2, 'no command given (see parley --help)');
  if (command === 'admin') {
    if (!args[0]) throw new ExitError(2, 'admin needs a subcommand: devices, wipe, revoke or audit');
    command = `admin ${args.shift()}`;
  }
  if (command === 'groups') {
    if (!args[0]) throw new ExitError(2, 'groups needs a subcommand: create, list, members, add, remove, promote, demote or leave');
    command = `groups ${args.shift()}`;
  }
  const spec = COMMANDS[command];
  if (!spec) throw new ExitError(2, `unknown command "${command}" (see parley --help)`);
  for (const key of Object.keys(values)) {
    if (key !== 'profile' && !spec.options.includes(key)) throw new ExitError(2, `option --${key} does not apply to "${command}"`);
  }
  // send --group GROUP TEXT: the group replaces the recipient argument.
  const expected = command === 'send' && values.group !== undefined ? 1 : spec.positionals;
  if (args.length !== expected) {
    throw new ExitError(2, `"${command}" takes ${expected} argument${expected === 1 ? '' : 's'}, got ${args.length} (see parley --help)`);
  }
  const profile = values.profile ?? process.env.PARLEY_PROFILE;
  if (!profile) throw new ExitError(2, '--profile DIR is required');
  return { command, args, values, profile };
}

// Test hook for the crash tests: the process kills itself right after the named wipe step.
const KILL_AFTER = process.env.PARLEY_TEST_KILL_AFTER_WIPE_STEP;
const wipeHooks = KILL_AFTER ? { afterStep: (step: string) => { if (step === KILL_AFTER) process.kill(process.pid, 'SIGKILL'); } } : {};

const warn = (line: string) => process.stderr.write(`parley: ${line}\n`);

function openInBrowser(url: string): Promise<void> {
  process.stderr.write(`Open this address in your browser to sign in:\n  ${url}\n`);
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    spawn(opener, [url], { stdio: 'ignore', detached: true }).on('error', () => {}).unref();
  } catch { /* the printed address is enough */ }
  return Promise.resolve();
}

function formatMessage(m: ReceivedMessage): string {
  const when = new Date(m.sentAt).toISOString().replace('T', ' ').slice(0, 19);
  if (m.group) return m.outgoing ? `[${when}] you in ${m.groupName}: ${m.text}` : `[${when}] ${m.fromName} <${m.from}> in ${m.groupName}: ${m.text}`;
  return m.outgoing ? `[${when}] you → ${m.to}: ${m.text}` : `[${when}] ${m.fromName} <${m.from}>: ${m.text}`;
}

function memberEmails(list: string): string[] {
  const emails = list.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
  for (const e of emails) if (!/^[^\s@,]+@[^\s@,]+$/.test(e)) throw new ExitError(2, `not an email address in --members: ${e}`);
  return emails;
}

async function run(argv: string[]): Promise<void> {
  const { command, args, values, profile } = parse(argv);

  if (command === 'login') {
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
            process.stderr.write(`To sign in, open ${p.verificationUriComplete ?? p.verificationUri} and enter the code ${p.userCode}\n`);
          } };
    const m = await loginNewDevice(profile, server.href, method, { warn });
    try {
      process.stdout.write(`Signed in as ${m.me.name} <${m.me.email}> (device ${m.me.deviceId}) on ${m.me.server}\n`);
    } finally { m.close(); }
    return;
  }

  // The launch sequence runs before the store is unlocked: a wiped or locked device never opens it.
  const vault = defaultVault(profile);
  const decision = await prepareLaunch(profile, vault, wipeHooks);
  if (decision.kind === 'wiped') throw new ExitError(3, decision.notice);
  if (decision.kind === 'locked') throw new ExitError(4, decision.notice);
  const m = await Messenger.open(profile, { warn, vault });
  try {
    switch (command) {
      case 'admin devices': {
        const { users } = await m.admin.users(values.user);
        if (values.json) { process.stdout.write(`${JSON.stringify(users)}\n`); return; }
        for (const u of users) {
          process.stdout.write(`${u.name} <${u.email}>${u.orgAdmin ? ' (org admin)' : ''}\n`);
          if (u.devices.length === 0) process.stdout.write('  (no devices)\n');
          for (const d of u.devices) {
            process.stdout.write(`  ${d.id}  ${d.state.padEnd(12)} ${d.name}  last seen ${new Date(d.lastSeen).toISOString().slice(0, 16).replace('T', ' ')}\n`);
          }
        }
        return;
      }
      case 'admin wipe':
      case 'admin revoke': {
        if ((values.user === undefined) === (values.device === undefined)) throw new ExitError(2, `${command} needs exactly one of --user EMAIL or --device ID`);
        let target: { email: string } | { userId: string; deviceId: number };
        if (values.device !== undefined) {
          const match = /^(u_[A-Za-z0-9_-]{22})\.([1-9][0-9]{0,6})$/.exec(values.device);
          if (!match) throw new ExitError(2, `not a device ID (expected USERID.N as shown by admin devices): ${values.device}`);
          target = { userId: match[1]!, deviceId: Number(match[2]) };
        } else target = { email: values.user! };
        const req = { ...target, reason: values.reason ?? '' };
        const r = command === 'admin wipe' ? await m.admin.wipe(req) : await m.admin.revoke(req);
        const n = r.devices.length;
        process.stdout.write(`${command === 'admin wipe' ? 'wipe requested for' : 'revoked'} ${n} device${n === 1 ? '' : 's'}: ${r.devices.map((d) => `${d.userId}.${d.deviceId}`).join(', ')}\n`);
        return;
      }
      case 'admin audit': {
        const { entries } = await m.admin.audit();
        if (values.json) { process.stdout.write(`${JSON.stringify(entries)}\n`); return; }
        for (const e of entries) {
          process.stdout.write(`${new Date(e.at).toISOString().replace('T', ' ').slice(0, 19)}  ${e.action.padEnd(20)} ${e.target.email}${e.target.deviceId === null ? '' : ` device ${e.target.deviceId}`}  by ${e.actor.email}  ${e.reason ? `"${e.reason}" ` : ''}→ ${e.outcome}\n`);
        }
        return;
      }
      case 'whoami': {
        const info = readProfileInfo(profile)!;
        const me = { ...m.me, vault: info.vault };
        process.stdout.write(values.json ? `${JSON.stringify(me)}\n`
          : `${me.name} <${me.email}>\nuser ${me.userId} · device ${me.deviceId}\nserver ${me.server}\nissuer ${me.issuer}${me.orgAdmin ? '\norg admin' : ''}\n`);
        return;
      }
      case 'groups create': {
        const [name] = args as [string];
        const directoryGroup = values['directory-group'];
        if (values.members === undefined && directoryGroup === undefined) {
          throw new ExitError(2, 'groups create needs --members EMAIL,EMAIL (the people to add besides you) or --directory-group NAME');
        }
        const g = await m.createGroup(name, values.members === undefined ? [] : memberEmails(values.members), {
          announcement: values.announcement, confidential: values.confidential, ...(directoryGroup !== undefined ? { directoryGroup } : {}),
        });
        const flags = [g.announcement ? 'announcement' : '', g.confidential ? 'confidential' : '', g.scimGroupId ? 'follows the directory group' : ''].filter(Boolean);
        process.stdout.write(`created group ${g.name} (${g.id}) with ${g.memberCount} member${g.memberCount === 1 ? '' : 's'}${flags.length ? `; ${flags.join(', ')}` : ''}\n`);
        return;
      }
      case 'groups list': {
        const groups = await m.listGroups();
        if (values.json) { process.stdout.write(`${JSON.stringify(groups)}\n`); return; }
        if (groups.length === 0) process.stdout.write('(no groups)\n');
        for (const g of groups) {
          const flags = [g.role ?? 'not a member', g.announcement ? 'announcement' : '', g.confidential ? 'confidential' : '', g.scimGroupId ? 'directory-linked' : ''].filter(Boolean);
          process.stdout.write(`${g.id}  ${g.name}  (${flags.join(', ')})\n`);
        }
        return;
      }
      case 'groups members': {
        const g = await m.groupInfo(args[0]!);
        if (values.json) {
          process.stdout.write(`${JSON.stringify(g.members.map(({ userId, email, name, role, viaScim, you }) => ({ userId, email, name, role, viaScim, you })))}\n`);
          return;
        }
        process.stdout.write(`${g.name} (${g.id}): ${g.memberCount} member${g.memberCount === 1 ? '' : 's'}${g.members.length < g.memberCount ? `, ${g.members.length} shown (confidential group)` : ''}\n`);
        for (const u of g.members) process.stdout.write(`  ${u.name} <${u.email}>  ${u.role}${u.viaScim ? ' (directory)' : ''}${u.you ? ' (you)' : ''}\n`);
        return;
      }
      case 'groups add':
      case 'groups remove':
      case 'groups promote':
      case 'groups demote': {
        const [group, email] = args as [string, string];
        const verb = command.slice('groups '.length);
        if (verb === 'add') await m.addGroupMember(group, email);
        else if (verb === 'remove') await m.removeGroupMember(group, email);
        else await m.setGroupRole(group, email, verb === 'promote' ? 'admin' : 'member');
        const done = { add: `added ${email} to`, remove: `removed ${email} from`, promote: `${email} is now an admin of`, demote: `${email} is now a member of` }[verb];
        process.stdout.write(`${done} ${group}\n`);
        return;
      }
      case 'groups leave': {
        await m.leaveGroup(args[0]!);
        process.stdout.write(`left ${args[0]}\n`);
        return;
      }
      case 'send': {
        if (values.group !== undefined) {
          const r = await m.sendGroupText(values.group, args[0]!);
          process.stdout.write(`sent to group ${r.group.name} (${r.devices} device${r.devices === 1 ? '' : 's'})\n`);
          return;
        }
        const [to, text] = args as [string, string];
        const r = await m.sendText(to, text);
        process.stdout.write(`sent to ${to} (${r.devices} device${r.devices === 1 ? '' : 's'})\n`);
        return;
      }
      case 'receive': {
        let waitMs = 0;
        if (values.wait !== undefined) {
          const s = Number(values.wait);
          if (!/^\d+(\.\d+)?$/.test(values.wait) || !Number.isFinite(s) || s > 86_400) throw new ExitError(2, `--wait takes seconds (0–86400), got "${values.wait}"`);
          waitMs = s * 1000;
        }
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        let listening = false;
        await m.receive({
          stopAfterDrainMs: waitMs,
          signal: ac.signal,
          // With --wait, scripts and tests wait for this line instead of guessing when the socket is up.
          onConnectionChange: (up) => {
            if (up && !listening && values.wait !== undefined) { listening = true; process.stderr.write('listening\n'); }
          },
          onMessage: (msg) => process.stdout.write(values.json
            ? `${JSON.stringify({ ...msg, sentAt: new Date(msg.sentAt).toISOString(), receivedAt: new Date(msg.receivedAt).toISOString() })}\n`
            : `${formatMessage(msg)}\n`),
          onRejected: (r) => warn(`rejected a message from ${r.fromUserId} device ${r.fromDevice}: ${r.reason}`),
        });
        return;
      }
      case 'safety-number': {
        const [email] = args as [string];
        const r = values['mark-verified'] ? { ...(await m.markVerified(email)), status: 'verified' as const } : await m.safetyNumber(email);
        if (values.json) {
          process.stdout.write(`${JSON.stringify({ email: r.contact.email, name: r.contact.name, userId: r.contact.userId, safetyNumber: r.safetyNumber, status: r.status })}\n`);
        } else {
          const rows = r.safetyNumber.split(' ');
          process.stdout.write(`Safety number with ${r.contact.name} <${r.contact.email}>:\n  ${rows.slice(0, 4).join(' ')}\n  ${rows.slice(4, 8).join(' ')}\n  ${rows.slice(8).join(' ')}\nstatus: ${r.status}\n`);
          if (r.status === 'changed') warn(`the safety number changed since you verified it; compare it with ${r.contact.email} again`);
        }
        return;
      }
    }
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
  if (err instanceof UsageError) return { code: 2, message: err.message };
  if (err instanceof DeviceWipedError) return { code: 3, message: err.message };
  if (err instanceof SafetyNumberChangedError) return { code: 1, message: err.message };
  if (err instanceof ApiError) return { code: err.status >= 400 && err.status < 500 && err.status !== 401 ? 2 : 1, message: `server: ${err.message}` };
  if (err instanceof NetworkError || err instanceof SignInError || err instanceof StoreError || err instanceof VaultError) return { code: 1, message: err.message };
  return { code: 1, message: `unexpected error: ${err instanceof Error ? err.message : String(err)}` };
}

run(process.argv.slice(2)).then(
  () => process.exit(0),
  (err) => {
    const { code, message } = exitCodeFor(err);
    process.stderr.write(`parley: ${message.split('\n')[0]}\n`);
    if (process.env.PARLEY_DEBUG) console.error(err);
    process.exit(code);
  },
);
