// The command line of `parley`: usage, the commands and their options, and parsing into one command.
// Bad usage is an ExitError with code 2 and one sentence (with the nearest command for a typo).
import { parseArgs } from 'node:util';

export const USAGE = `usage: parley --profile DIR <command>
  login --server URL [--user NAME | --browser]   sign this device in (--user: demo login, dev IdP only;
                                                 default: device code shown here, enter it in any browser)
  send EMAIL [TEXT] [--file PATH]… [--reply-to MESSAGE_ID] [--json]
                                                 send an end-to-end encrypted message (--json: its
                                                 messageId, conversationId and devices)
  send --group GROUP [TEXT] [--file PATH]… [--reply-to MESSAGE_ID] [--json]
                                                 send to a group (GROUP: its name or id)
  react MESSAGE_ID EMOJI [--remove]              react to a message (one emoji per person; --remove: take it back)
  edit MESSAGE_ID TEXT                           edit your own message (within 24 hours; shown as edited)
  delete MESSAGE_ID [--for-everyone]             delete a message on this device, or your own for everyone
  read CONVERSATION                              mark a chat read (sends read receipts when allowed;
                                                 CONVERSATION: an email, a group name or id, a conversation id)
  history (EMAIL | --group GROUP) [--limit N] [--json]
                                                 the chat as stored on this device (edits, deletions, reactions)
  groups create NAME --members EMAIL,EMAIL [--announcement] [--confidential]
                                                 create a group (you become its owner)
  groups create NAME --directory-group NAME [--members …]
                                                 org admins: a group that follows an IdP group (SCIM)
  groups list [--json]                           your groups
  groups members GROUP [--json]                  members and roles (confidential groups: admins only)
  groups add|remove|promote|demote GROUP EMAIL   group admins and org admins: manage members and roles
  groups leave GROUP                             leave a group
  receive [--wait SECONDS] [--json] [--download-dir DIR]
                                                 fetch and show new messages, reactions, edits, deletes,
                                                 read receipts and typing (--wait: keep listening that long
                                                 after the queue; prints "listening" on stderr)
  whoami [--json]                                show the signed-in account and device
  search QUERY [--limit N] [--json]              search the messages on this device (words taken literally,
                                                 the last one as a prefix; newest first, 20 by default)
  chats [--archived] [--json]                    your chats (pinned first) or the archived ones
  chats mute|unmute|pin|unpin|archive|unarchive CONVERSATION [--for 8h]
                                                 per-chat settings on this device (CONVERSATION: an email, a
                                                 group name or a conversation id; --for: mute for 30m/8h/2d/1w)
  devices [--json]                               your devices (number, name, platform, last seen)
  devices rename NAME                            rename this device
  devices remove N                               sign out another of your devices (N from parley devices)
  logout                                         sign this device out and delete its local messages
  safety-number EMAIL [--mark-verified] [--json] show (and mark verified) the safety number with EMAIL
  admin devices [--user EMAIL] [--json]          org admins: list users and their devices
  admin wipe (--user EMAIL | --device ID) [--reason TEXT]   org admins: wipe devices remotely
  admin revoke (--user EMAIL | --device ID) [--reason TEXT] org admins: revoke devices (signed out, wiped)
  admin audit [--json]                           org admins: the audit log, newest first
exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 this device was wiped, 4 locked (reconnect to continue),
            5 not allowed (the server or the group refused you)`;

export const COMMANDS: Record<string, { options: string[]; positionals: number }> = {
  login: { options: ['server', 'user', 'browser'], positionals: 0 },
  send: { options: ['group', 'file', 'reply-to', 'json'], positionals: 2 },
  react: { options: ['remove'], positionals: 2 },
  edit: { options: [], positionals: 2 },
  delete: { options: ['for-everyone'], positionals: 1 },
  read: { options: [], positionals: 1 },
  history: { options: ['group', 'limit', 'json'], positionals: 1 },
  'groups create': { options: ['members', 'announcement', 'confidential', 'directory-group'], positionals: 1 },
  'groups list': { options: ['json'], positionals: 0 },
  'groups members': { options: ['json'], positionals: 1 },
  'groups add': { options: [], positionals: 2 },
  'groups remove': { options: [], positionals: 2 },
  'groups promote': { options: [], positionals: 2 },
  'groups demote': { options: [], positionals: 2 },
  'groups leave': { options: [], positionals: 1 },
  receive: { options: ['wait', 'json', 'download-dir'], positionals: 0 },
  whoami: { options: ['json'], positionals: 0 },
  search: { options: ['limit', 'json'], positionals: 1 },
  chats: { options: ['archived', 'json'], positionals: 0 },
  'chats mute': { options: ['for'], positionals: 1 },
  'chats unmute': { options: [], positionals: 1 },
  'chats pin': { options: [], positionals: 1 },
  'chats unpin': { options: [], positionals: 1 },
  'chats archive': { options: [], positionals: 1 },
  'chats unarchive': { options: [], positionals: 1 },
  devices: { options: ['json'], positionals: 0 },
  'devices rename': { options: [], positionals: 1 },
  'devices remove': { options: [], positionals: 1 },
  logout: { options: [], positionals: 0 },
  'safety-number': { options: ['mark-verified', 'json'], positionals: 1 },
  'admin devices': { options: ['user', 'json'], positionals: 0 },
  'admin wipe': { options: ['user', 'device', 'reason'], positionals: 0 },
  'admin revoke': { options: ['user', 'device', 'reason'], positionals: 0 },
  'admin audit': { options: ['json'], positionals: 0 },
};

export class ExitError extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}

/** Edit distance with adjacent transpositions (so "recieve" is one step from "receive"). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known command nearest to a mistyped one, when it is near enough to be what was meant. */
export function nearestCommand(typed: string): string | undefined {
  const names = [...Object.keys(COMMANDS), 'groups', 'admin'];
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = distance(typed.toLowerCase(), name);
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(1, Math.floor(typed.length / 3)) ? best.name : undefined;
}

function unknownCommand(command: string): ExitError {
  const near = nearestCommand(command);
  return new ExitError(2, `unknown command "${command}"${near ? `; did you mean "${near}"?` : ''} (see parley --help)`);
}

/** The seconds of `receive --wait`, checked: a number from 0 to a day. */
export function waitSeconds(value: string): number {
  const s = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(s) || s > 86_400) {
    throw new ExitError(2, `--wait takes seconds: a positive number up to 86400, got "${value}"`);
  }
  return s;
}

export function parse(argv: string[]) {
  // "--wait -5" would otherwise read as an unknown option -5: say what --wait wants instead.
  const w = argv.indexOf('--wait');
  if (w >= 0 && argv[w + 1]?.startsWith('-') && /^-[\d.]/.test(argv[w + 1]!)) waitSeconds(argv[w + 1]!);
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
        limit: { type: 'string' },
        archived: { type: 'boolean' },
        for: { type: 'string' },
        file: { type: 'string', multiple: true },
        'reply-to': { type: 'string' },
        remove: { type: 'boolean' },
        'for-everyone': { type: 'boolean' },
        'download-dir': { type: 'string' },
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
  if (command === 'devices' && (args[0] === 'rename' || args[0] === 'remove')) command = `devices ${args.shift()}`;
  if (command === 'chats' && args[0] !== undefined && COMMANDS[`chats ${args[0]}`]) command = `chats ${args.shift()}`;
  const spec = COMMANDS[command];
  if (!spec) throw unknownCommand(command);
  for (const key of Object.keys(values)) {
    if (key !== 'profile' && !spec.options.includes(key)) throw new ExitError(2, `option --${key} does not apply to "${command}"`);
  }
  // send/history --group GROUP: the group replaces the recipient argument; send's TEXT may be left out with --file.
  const expected = (command === 'send' || command === 'history') && values.group !== undefined ? spec.positionals - 1 : spec.positionals;
  const textOptional = command === 'send' && values.file !== undefined && args.length === expected - 1;
  if (args.length !== expected && !textOptional) {
    throw new ExitError(2, `"${command}" takes ${expected} argument${expected === 1 ? '' : 's'}, got ${args.length} (see parley --help)`);
  }
  const profile = values.profile ?? process.env.PARLEY_PROFILE;
  if (!profile) throw new ExitError(2, '--profile DIR is required');
  return { command, args, values, profile };
}

export type Parsed = ReturnType<typeof parse>;
