// `parley send`, `receive` and `safety-number`. Message text and names are others' words: every line is
// cleaned (terminal.ts), so a message cannot print a second, fake message or steer the terminal.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
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

/** The files of a message in `receive --json`, with `path` (the saved decrypted file) under --download-dir. */
function filesJson(files: AttachmentPointer[], saved: Array<string | undefined> = []) {
  return files.map((a, i) => ({ fileName: a.fileName, contentType: a.contentType, size: a.size, sha256: a.sha256, ...(saved[i] ? { path: saved[i] } : {}) }));
}

/**
 * `send --file PATH…`: every file is checked readable first, then each is encrypted and uploaded
 * (electron/core/attachments/); any refusal (missing, unreadable, over the server's limit or quota) is exit 2
 * before a message is sent.
 */
async function attachFiles(m: Messenger, paths: string[]): Promise<AttachmentPointer[] | undefined> {
  if (paths.length === 0) return undefined;
  for (const p of paths) {
    try {
      if (!(await stat(p)).isFile()) throw new ExitError(2, `cannot read ${p}: not a regular file`);
      await access(p, constants.R_OK);
    } catch (err) {
      if (err instanceof ExitError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new ExitError(2, `cannot read ${p}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
    }
  }
  const out: AttachmentPointer[] = [];
  for (const p of paths) out.push(await m.attachments.upload({ path: p }));
  return out;
}

/**
 * `receive --download-dir DIR`: fetches, verifies and decrypts the message's files into DIR (never replacing
 * a file there). A file that fails (tampered, gone from the server) is a warning; nothing of it is saved.
 */
async function saveFiles(m: Messenger, msg: ReceivedMessage, dir: string | undefined): Promise<Array<string | undefined>> {
  if (dir === undefined || msg.flag === 'held' || msg.attachments.length === 0) return [];
  const out: Array<string | undefined> = [];
  for (let i = 0; i < msg.attachments.length; i++) {
    try {
      out.push((await m.attachments.saveInto(msg.messageId, i, dir)).path);
    } catch (err) {
      out.push(undefined);
      warn(`${msg.attachments[i]!.fileName} from message ${msg.messageId} was not saved: ${(err as Error).message}`);
    }
  }
  return out;
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
      let printing = Promise.resolve();
      await m.receive({
        stopAfterDrainMs: waitMs,
        signal: ac.signal,
        // With --wait, scripts and tests wait for this line instead of guessing when the socket is up.
        onConnectionChange: (up) => {
          if (up && !listening && values.wait !== undefined) { listening = true; process.stderr.write('listening\n'); }
        },
        onMessage: (msg) => {
          shown++;
          // Files are fetched in arrival order, each message printed once its files are saved.
          printing = printing.then(async () => {
            const saved = await saveFiles(m, msg, values['download-dir']);
            if (values.json) {
              const { reply: _quote, ...rest } = msg;
              sayJson({ ...rest, attachments: filesJson(msg.attachments, saved), sentAt: iso(msg.sentAt), receivedAt: iso(msg.receivedAt) });
            } else {
              say(formatMessage(msg));
              for (const path of saved) if (path) say(`  saved ${path}`);
            }
          });
        },
        onEvent: (e) => {
          shown++;
          if (values.json) sayJson({ ...e, sentAt: iso(e.sentAt), receivedAt: iso(e.receivedAt) });
          else say(formatEvent(e));
        },
        onRejected: (r) => warn(`rejected a message from ${r.fromUserId} device ${r.fromDevice}: ${r.reason}`),
      });
      await printing;
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
