// `parley profile` (everyone: the company profile) and, for org admins, `parley admin profile set …` and
// `parley admin welcome set TEXT | off`. Everything shown was typed by an admin: printed cleaned (terminal.ts).
import type { Messenger } from '../../core/messenger.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';

export async function profileCommand(m: Messenger, { command, args, values }: Parsed): Promise<void> {
  const org = m.business.org;
  switch (command) {
    case 'profile': {
      const p = await org.profile();
      if (values.json) { sayJson(p); return; }
      if (!p) { say('Your organization has not set a company profile yet.'); return; }
      say(p.name);
      if (p.description) for (const line of p.description.split('\n')) say(`  ${line}`);
      if (p.website) say(`Website: ${p.website}`);
      if (p.support) say(`Support: ${p.support}`);
      if (p.officeHours) say(`Office hours: ${p.officeHours}`);
      if (p.logo) say(`Logo: ${p.logo.contentType}, ${p.logo.bytes} bytes`);
      return;
    }
    case 'admin profile set': {
      if (values.name === undefined) throw new ExitError(2, 'admin profile set needs --name NAME');
      if (values.logo !== undefined && values['no-logo']) throw new ExitError(2, '--logo and --no-logo exclude each other');
      const p = await org.setProfile({
        name: values.name,
        ...(values.description !== undefined ? { description: values.description } : {}),
        ...(values.website !== undefined ? { website: values.website } : {}),
        ...(values.support !== undefined ? { support: values.support } : {}),
        ...(values['office-hours'] !== undefined ? { officeHours: values['office-hours'] } : {}),
        ...(values.logo !== undefined ? { logoFile: values.logo } : values['no-logo'] ? { logoFile: null } : {}),
      });
      if (values.json) { sayJson(p); return; }
      say(`Company profile saved: ${p.name}${p.logo ? ` (logo ${p.logo.contentType}, ${p.logo.bytes} bytes)` : ''}`);
      return;
    }
    case 'admin welcome set': {
      await org.setWelcome(args[0]!);
      say('Welcome message saved: new members see it at their first sign-in.');
      return;
    }
    case 'admin welcome off': {
      await org.setWelcome(null);
      say('Welcome message removed.');
      return;
    }
  }
}
