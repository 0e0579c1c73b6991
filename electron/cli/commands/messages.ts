// `parley send`, `receive` and `safety-number`. Message text and names are others' words: every line is
// cleaned (terminal.ts), so a message cannot print a second, fake message or steer the terminal.
import type { AttachmentPointer } from '../../../common/wire/content.ts';
import type { Messenger, ReceivedEvent, ReceivedMessage } from '../../core/messenger.ts';
import { ExitError, waitSeconds, type Parsed } from './args.ts';
import { say, sayErr, sayJson, warn } from './terminal.ts';
import { offWorkNotice } from '../../../common/workplace-notice.ts';

const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const iso = (ms: number) => new Date(ms).toISOString();

export function formatMessage(m: ReceivedMessage): string {
  const who = m.outgoing ? 'you' : `${m.fromName} <${m.from}>`;
  const where = m.group ? ` in ${m.groupName}` : m.outgoing ? ` → ${m.to}` : '';
  // The client does not vouch for the sender (electron/core/incoming/sender-check.ts): say so on the line.
  const doubt = m.flag === 'unlisted-device' ? ` (from device ${m.fromDevice}, which the directory does not list: it may not be from them)` : '';
  const text = m.flag === 'held'
    ? `[held: sent from a device or key you have not verified; compare the safety number again (parley safety-number ${m.from}) to read it]`
    : m.text;
  const reply = m.reply ? ` [reply to ${m.reply.messageId}: "${m.reply.excerpt}"]` : '';
  const files = m.attachments.map((a) => ` [file: ${a.fileName}, ${a.size} bytes]`).join('');
  return `[${stamp(m.sentAt)}] ${who}${where}${doubt}:${reply} ${text}${files} (id ${m.messageId})`;
}

export function formatEvent(e: ReceivedEvent): string {
  const who = e.outgoing ? 'you (another device)' : `${e.fromName} <${e.from}>`;
  const where = e.group ? ` in ${e.groupName ?? e.group}` : '';
  const what = {
    reaction: () => (e.remove ? `removed the reaction ${e.emoji} from ${e.targetMessageId}` : `reacted ${e.emoji} to ${e.targetMessageId}`),
    edit: () => `edited ${e.targetMessageId}: ${e.text}`,
    delete: () => `deleted ${e.targetMessageId} for everyone`,
    read: () => `read ${e.targetMessageId}`,
    typing: () => (e.state === 'started' ? 'is typing…' : 'stopped typing'),
    timer: () => (e.seconds === null ? 'turned off disappearing messages' : `set disappearing messages to ${e.seconds} s`),
  }[e.kind]();
  return `[${stamp(e.receivedAt)}] ${who}${where} ${what}`;
}

/** The files of a message in `receive --json`: H2 adds `path` (the saved decrypted file, with --download-dir). */
function filesJson(files: AttachmentPointer[]) {
  return files.map((a) => ({ fileName: a.fileName, contentType: a.contentType, size: a.size, sha256: a.sha256 }));
}

/**
 * `send --file PATH…`: encrypts and uploads the files and returns their pointers. The attachments work
 * (electron/core/attachments/) plugs in here.
 */
async function attachFiles(_m: Messenger, paths: string[]): Promise<AttachmentPointer[] | undefined> {
  if (paths.length === 0) return undefined;
  throw new ExitError(2, '--file is not available in this version of parley');
}

/** `send --json`: `heldUntil` per recipient off work, by email, as ISO times (absent when nobody is). */
async function heldJson(m: Messenger, held: Record<string, number> | undefined): Promise<{ heldUntil?: Record<string, string> }> {
  if (!held || Object.keys(held).length === 0) return {};
  const out: Record<string, string> = {};
  for (const [userId, at] of Object.entries(held)) out[m.contact(userId)?.email ?? userId] = new Date(at).toISOString();
  return { heldUntil: out };
}

/** "Bob Baker is off work until Mon 09:00 (Europe/Berlin); your message will be delivered then", per recipient off work. */
async function heldNotices(m: Messenger, held: Record<string, number> | undefined): Promise<string[]> {
  const lines: string[] = [];
  for (const [userId, at] of Object.entries(held ?? {})) {
    const c = m.contact(userId);
    const zone = c ? await m.workplace.availabilityOf(c.email).then((a) => a?.timeZone, () => undefined) : undefined;
    lines.push(offWorkNotice(c?.name ?? userId, at, zone ?? 'UTC'));
  }
  return lines;
}

export async function messageCommand(m: Messenger, { command, args, values }: Parsed): Promise<void> {
  switch (command) {
    case 'send': {
      const group = values.group;
      const [to, text] = group !== undefined ? [undefined, args[0]] : [args[0]!, args[1]];
      const attachments = await attachFiles(m, values.file ?? []);
      const input = {
        ...(text !== undefined ? { text } : {}), ...(attachments ? { attachments } : {}), ...(values['reply-to'] ? { replyTo: values['reply-to'] } : {}),
        ...(values.urgent ? { urgent: true } : {}),
      };
      if (group !== undefined) {
        const r = await m.send({ group }, input);
        if (values.json) sayJson({ messageId: r.messageId, conversationId: r.conversationId, devices: r.devices, ...await heldJson(m, r.heldUntil) });
        else {
          say(`sent to group ${'group' in r ? r.group.name : group} (${r.devices} device${r.devices === 1 ? '' : 's'})`);
          for (const line of await heldNotices(m, r.heldUntil)) say(line);
        }
        return;
      }
      const r = await m.send({ email: to! }, input);
      if (values.json) {
        sayJson({
          messageId: r.messageId, conversationId: r.conversationId, devices: r.devices, ...(r.queued ? { queued: true } : {}), ...(r.waiting ? { waiting: true } : {}),
          ...await heldJson(m, r.heldUntil),
        });
        return;
      }
      // Our own other devices' copies do not make a message "sent" to someone who has no device.
      if (r.queued) {
        say(`queued: the server cannot be reached, so the message to ${to} is kept on this device and sent, in order, at your next receive or send to them.`);
      } else if (r.waiting) {
        say(`not delivered: ${to} has no active device yet. The message waits and is sent when they sign in on one (checked at your next send or receive).`);
      } else say(`sent to ${to} (${r.devices} device${r.devices === 1 ? '' : 's'})`);
      for (const line of await heldNotices(m, r.heldUntil)) say(line);
      return;
    }
    case 'receive': {
      const waitMs = values.wait === undefined ? 0 : waitSeconds(values.wait) * 1000;
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      let listening = false;
      let shown = 0;
      await m.receive({
        stopAfterDrainMs: waitMs,
        signal: ac.signal,
        // With --wait, scripts and tests wait for this line instead of guessing when the socket is up.
        onConnectionChange: (up) => {
          if (up && !listening && values.wait !== undefined) { listening = true; process.stderr.write('listening\n'); }
        },
        onMessage: (msg) => {
          shown++;
          if (values.json) {
            const { reply: _quote, ...rest } = msg;
            sayJson({ ...rest, attachments: filesJson(msg.attachments), sentAt: iso(msg.sentAt), receivedAt: iso(msg.receivedAt) });
          } else say(formatMessage(msg));
        },
        onEvent: (e) => {
          shown++;
          if (values.json) sayJson({ ...e, sentAt: iso(e.sentAt), receivedAt: iso(e.receivedAt) });
          else say(formatEvent(e));
        },
        onRejected: (r) => warn(`rejected a message from ${r.fromUserId} device ${r.fromDevice}: ${r.reason}`),
      });
      if (shown === 0) sayErr('no new messages');
      return;
    }
    case 'safety-number': {
      const [email] = args as [string];
      const r = values['mark-verified'] ? { ...(await m.markVerified(email)), status: 'verified' as const } : await m.safetyNumber(email);
      if (values.json) {
        sayJson({ email: r.contact.email, name: r.contact.name, userId: r.contact.userId, safetyNumber: r.safetyNumber, status: r.status });
        return;
      }
      const rows = r.safetyNumber.split(' ');
      say(`Safety number with ${r.contact.name} <${r.contact.email}>:`);
      say(`  ${rows.slice(0, 4).join(' ')}`);
      say(`  ${rows.slice(4, 8).join(' ')}`);
      say(`  ${rows.slice(8).join(' ')}`);
      say(`status: ${r.status}`);
      if (r.status === 'changed') warn(`the safety number changed since you verified it; compare it with ${r.contact.email} again`);
      return;
    }
  }
}
