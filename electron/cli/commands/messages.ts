// `parley send`, `receive` and `safety-number`. Message text and names are others' words: every line is
// cleaned (terminal.ts), so a message cannot print a second, fake message or steer the terminal.
import type { Messenger, ReceivedMessage } from '../../core/messenger.ts';
import { waitSeconds, type Parsed } from './args.ts';
import { say, sayErr, sayJson, warn } from './terminal.ts';

export function formatMessage(m: ReceivedMessage): string {
  const when = new Date(m.sentAt).toISOString().replace('T', ' ').slice(0, 19);
  const who = m.outgoing ? 'you' : `${m.fromName} <${m.from}>`;
  const where = m.group ? ` in ${m.groupName}` : m.outgoing ? ` → ${m.to}` : '';
  // The client does not vouch for the sender (electron/core/incoming/sender-check.ts): say so on the line.
  const doubt = m.flag === 'unlisted-device' ? ` (from device ${m.fromDevice}, which the directory does not list: it may not be from them)` : '';
  const text = m.flag === 'held'
    ? `[held: sent from a device or key you have not verified; compare the safety number again (parley safety-number ${m.from}) to read it]`
    : m.text;
  return `[${when}] ${who}${where}${doubt}: ${text}`;
}

export async function messageCommand(m: Messenger, { command, args, values }: Parsed): Promise<void> {
  switch (command) {
    case 'send': {
      if (values.group !== undefined) {
        const r = await m.sendGroupText(values.group, args[0]!);
        say(`sent to group ${r.group.name} (${r.devices} device${r.devices === 1 ? '' : 's'})`);
        return;
      }
      const [to, text] = args as [string, string];
      const r = await m.sendText(to, text);
      // Our own other devices' copies do not make a message "sent" to someone who has no device.
      if (r.queued) {
        say(`queued: the server cannot be reached, so the message to ${to} is kept on this device and sent, in order, at your next receive or send to them.`);
      } else if (r.waiting) {
        say(`not delivered: ${to} has no active device yet. The message waits and is sent when they sign in on one (checked at your next send or receive).`);
      } else say(`sent to ${to} (${r.devices} device${r.devices === 1 ? '' : 's'})`);
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
          if (values.json) sayJson({ ...msg, sentAt: new Date(msg.sentAt).toISOString(), receivedAt: new Date(msg.receivedAt).toISOString() });
          else say(formatMessage(msg));
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
