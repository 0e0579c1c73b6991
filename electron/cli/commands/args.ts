// The command line of `parley`: usage, the commands and their options, and parsing into one command.
// Bad usage is an ExitError with code 2 and one sentence (with the nearest command for a typo).
import { parseArgs } from 'node:util';

export const USAGE = `usage: parley --profile DIR <command>
  login --server URL [--user NAME | --browser] [--accept-policy]
                                                 sign this device in (--user: demo login, dev IdP only;
                                                 default: device code shown here, enter it in any browser;
                                                 --accept-policy: print the messaging policy and accept it)
  send EMAIL [TEXT] [--file PATH]… [--reply-to MESSAGE_ID] [--urgent] [--json]
                                                 send an end-to-end encrypted message (--json: its
                                                 messageId, conversationId and devices; heldUntil for
                                                 recipients off work; --urgent: deliver now if the org allows)
  send --group GROUP [TEXT] [--file PATH]… [--reply-to MESSAGE_ID] [--json]
                                                 send to a group (GROUP: its name or id)
  react MESSAGE_ID EMOJI [--remove]              react to a message (one emoji per person; --remove: take it back)
  edit MESSAGE_ID TEXT                           edit your own message (within 24 hours; shown as edited)
  delete MESSAGE_ID [--for-everyone]             delete a message on this device, or your own for everyone
  read CONVERSATION                              mark a chat read (sends read receipts when allowed;
                                                 CONVERSATION: an email, a group name or id, a conversation id)
  history (EMAIL | --group GROUP) [--limit N] [--json]
                                                 the chat as stored on this device (edits, deletions, reactions)
  disappearing (EMAIL | --group GROUP) [30s|1h|1d|1w|off] [--json]
                                                 set the chat's disappearing-messages timer (any <n>s|m|h|d|w
                                                 within your organization's maximum); without a value: show it
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
  admin audit [--since ISO] [--json | --csv]     org admins: the audit log, newest first ({at, actor,
                                                 action, target, details}; --since 2026-01-31 or a full
                                                 ISO time: entries at or after it)
  admin consent [--json]                         org admins: who accepted which messaging policy version, when
  working-hours show [--json]                    your working hours (messages are held while you are off work)
  working-hours set --days mon-fri --from 09:00 --to 17:30 [--tz ZONE]
                                                 your own hours, within your organization's (fewer days, a day
                                                 no longer than its day; --tz: default the current zone)
  working-hours reset                            back to your organization's hours
  consent show [--json]                          the messaging policy and whether you accepted it
  consent accept [--json]                        accept the current messaging policy (needed to send and receive)
  profile [--json]                               the company profile (name, description, website, support, hours)
  admin profile set --name NAME [--logo FILE | --no-logo] [--description TEXT] [--website URL] [--support TEXT]
                    [--office-hours TEXT]      org admins: set the company profile (logo: PNG or JPEG, 256 KiB)
  admin welcome set TEXT | admin welcome off     org admins: the message every new member sees at first sign-in
  admin stats [--days N] [--json]                org admins: daily totals (messages relayed, active devices, users,
                                                 groups); a figure below the privacy threshold shows as "<k"
  away set TEXT [--until ISO] [--outside-working-hours] [--private]
                                                 an away message: shown to people before they write to you (not
                                                 with --private) and sent once per person while you are away
  away off | away show [--json]                  end the away message / show it
  greeting set TEXT | greeting off | greeting show
                                                 a greeting sent automatically to a person writing to you first
  quick-replies add /SHORTCUT TEXT | quick-replies list [--json] | quick-replies remove /SHORTCUT
                                                 your quick replies (synced end-to-end to your other devices)
  stats [--days N] [--json]                      your messages sent, delivered and read per day and per chat
                                                 (computed on this device; default 30 days)
exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 this device was wiped, 4 locked (reconnect to continue),
            5 not allowed (the server or the group refused you)`;

export const COMMANDS: Record<string, { options: string[]; positionals: number }> = {
  // Business tools (commands/profile.ts, away.ts, quick-replies.ts, stats.ts).
  profile: { options: ['json'], positionals: 0 },
  'admin profile set': { options: ['name', 'logo', 'no-logo', 'description', 'website', 'support', 'office-hours', 'json'], positionals: 0 },
  'admin welcome set': { options: [], positionals: 1 },
  'admin welcome off': { options: [], positionals: 0 },
  'admin stats': { options: ['days', 'json'], positionals: 0 },
  'away set': { options: ['until', 'outside-working-hours', 'private', 'json'], positionals: 1 },
  'away off': { options: [], positionals: 0 },
  'away show': { options: ['json'], positionals: 0 },
  'greeting set': { options: [], positionals: 1 },
  'greeting off': { options: [], positionals: 0 },
  'greeting show': { options: ['json'], positionals: 0 },
  'quick-replies add': { options: [], positionals: 2 },
  'quick-replies list': { options: ['json'], positionals: 0 },
  'quick-replies remove': { options: [], positionals: 1 },
  stats: { options: ['days', 'json'], positionals: 0 },
  login: { options: ['server', 'user', 'browser', 'accept-policy'], positionals: 0 },
  send: { options: ['group', 'file', 'reply-to', 'urgent', 'json'], positionals: 2 },
  react: { options: ['remove'], positionals: 2 },
  edit: { options: [], positionals: 2 },
  delete: { options: ['for-everyone'], positionals: 1 },
  read: { options: [], positionals: 1 },
  history: { options: ['group', 'limit', 'json'], positionals: 1 },
  disappearing: { options: ['group', 'json'], positionals: 2 },
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
  'admin audit': { options: ['since', 'json', 'csv'], positionals: 0 },
  'admin consent': { options: ['json'], positionals: 0 },
  'working-hours show': { options: ['json'], positionals: 0 },
  'working-hours set': { options: ['days', 'from', 'to', 'tz', 'json'], positionals: 0 },
  'working-hours reset': { options: ['json'], positionals: 0 },
  'consent show': { options: ['json'], positionals: 0 },
  'consent accept': { options: ['json'], positionals: 0 },
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
  const names = [...Object.keys(COMMANDS), 'groups', 'admin', 'working-hours', 'consent'];
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
        'accept-policy': { type: 'boolean' },
        urgent: { type: 'boolean' },
        days: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        tz: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        name: { type: 'string' },
        logo: { type: 'string' },
        'no-logo': { type: 'boolean' },
        description: { type: 'string' },
        website: { type: 'string' },
        support: { type: 'string' },
        'office-hours': { type: 'string' },
        until: { type: 'string' },
        'outside-working-hours': { type: 'boolean' },
        since: { type: 'string' },
        csv: { type: 'boolean' },
        private: { type: 'boolean' },
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
    if (!args[0]) throw new ExitError(2, 'admin needs a subcommand: devices, wipe, revoke, audit or consent');
    command = `admin ${args.shift()}`;
  }
  if (command === 'groups') {
    if (!args[0]) throw new ExitError(2, 'groups needs a subcommand: create, list, members, add, remove, promote, demote or leave');
    command = `groups ${args.shift()}`;
  }
  if (command === 'devices' && (args[0] === 'rename' || args[0] === 'remove')) command = `devices ${args.shift()}`;
  if (command === 'working-hours' || command === 'consent') {
    const subs = command === 'consent' ? 'show or accept' : 'show, set or reset';
    if (!args[0]) throw new ExitError(2, `${command} needs a subcommand: ${subs}`);
    command = `${command} ${args.shift()}`;
  }
  if (command === 'chats' && args[0] !== undefined && COMMANDS[`chats ${args[0]}`]) command = `chats ${args.shift()}`;
  // Business tools: two-word subcommands (admin profile set, admin welcome set|off) and away/greeting/quick-replies.
  if ((command === 'admin profile' || command === 'admin welcome') && args[0] !== undefined) command = `${command} ${args.shift()}`;
  if (command === 'away' || command === 'greeting' || command === 'quick-replies') {
    const subs = command === 'quick-replies' ? 'add, list or remove' : command === 'away' ? 'set, off or show' : 'set, off or show';
    if (!args[0]) throw new ExitError(2, `${command} needs a subcommand: ${subs}`);
    command = `${command} ${args.shift()}`;
  }
  const spec = COMMANDS[command];
  if (!spec) throw unknownCommand(command);
  for (const key of Object.keys(values)) {
    if (key !== 'profile' && !spec.options.includes(key)) throw new ExitError(2, `option --${key} does not apply to "${command}"`);
  }
  // send/history --group GROUP: the group replaces the recipient argument; send's TEXT may be left out with --file.
  const expected = (command === 'send' || command === 'history' || command === 'disappearing') && values.group !== undefined ? spec.positionals - 1 : spec.positionals;
  const textOptional = command === 'send' && values.file !== undefined && args.length === expected - 1;
  // disappearing without a value shows the timer.
  const valueOptional = command === 'disappearing' && args.length === expected - 1;
  if (args.length !== expected && !textOptional && !valueOptional) {
    throw new ExitError(2, `"${command}" takes ${expected} argument${expected === 1 ? '' : 's'}, got ${args.length} (see parley --help)`);
  }
  const profile = values.profile ?? process.env.PARLEY_PROFILE;
  if (!profile) throw new ExitError(2, '--profile DIR is required');
  return { command, args, values, profile };
}

export type Parsed = ReturnType<typeof parse>;
