// `parley consent show|accept`: the organization's messaging policy and this person's acceptance, which the server
// keeps on record (who, which version, when, from which device). Until the current version is accepted the
// server refuses sending and fetching messages. Policy text is the organization's words: printed cleaned.
import type { Messenger } from '../../core/messenger.ts';
import type { Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';

const when = (t: number) => new Date(t).toISOString().replace('T', ' ').slice(0, 16);

export async function consentCommand(m: Messenger, { command, values }: Parsed): Promise<void> {
  const policy = await m.fetchPolicy();
  if (command === 'consent accept') {
    const s = await m.acceptPolicy(policy.version).then(() => m.workplace.consent());
    if (values.json) { sayJson(s); return; }
    say(`Accepted the messaging policy (version ${s.version}) on ${when(s.acceptedAt ?? Date.now())} UTC from device ${s.deviceId ?? m.me.deviceId}.`);
    return;
  }
  const s = await m.workplace.consent();
  if (values.json) { sayJson({ ...s, text: policy.text }); return; }
  for (const line of policy.text.split('\n')) say(line);
  say('');
  if (s.accepted) say(`You accepted this policy (version ${s.version}) on ${when(s.acceptedAt!)} UTC from device ${s.deviceId}.`);
  else say(`Not accepted yet (version ${s.version}).${s.required ? ' Until you accept it you cannot send or receive messages:' : ''} run parley consent accept`);
}

/** `login --accept-policy`: prints the policy, then accepts it (for scripted set-ups). */
export async function acceptAtLogin(m: Messenger): Promise<void> {
  const policy = await m.fetchPolicy();
  for (const line of policy.text.split('\n')) say(line);
  await m.acceptPolicy(policy.version);
  say(`Accepted the messaging policy (version ${policy.version}).`);
}

/** After a login without --accept-policy: tell the person if the server waits for their consent. */
export async function consentHint(m: Messenger): Promise<void> {
  const s = await m.workplace.consent().catch(() => undefined);
  if (s && s.required && !s.accepted) {
    say('Before you can send or receive messages, read and accept your organization\'s messaging policy: parley consent show, then parley consent accept');
  }
}
