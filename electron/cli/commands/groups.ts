// `parley groups …`: create, list, members, add / remove / promote / demote, leave. Group names, member
// names and emails come from others: printed cleaned (terminal.ts).
import type { Messenger } from '../../core/messenger.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';

function memberEmails(list: string): string[] {
  const emails = list.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
  for (const e of emails) if (!/^[^\s@,]+@[^\s@,]+$/.test(e)) throw new ExitError(2, `not an email address in --members: ${e}`);
  return emails;
}

export async function groupsCommand(m: Messenger, { command, args, values }: Parsed): Promise<void> {
  switch (command) {
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
      say(`created group ${g.name} (${g.id}) with ${g.memberCount} member${g.memberCount === 1 ? '' : 's'}${flags.length ? `; ${flags.join(', ')}` : ''}`);
      return;
    }
    case 'groups list': {
      const groups = await m.listGroups();
      if (values.json) { sayJson(groups); return; }
      if (groups.length === 0) say('(no groups)');
      for (const g of groups) {
        const flags = [g.role ?? 'not a member', g.announcement ? 'announcement' : '', g.confidential ? 'confidential' : '', g.scimGroupId ? 'directory-linked' : ''].filter(Boolean);
        say(`${g.id}  ${g.name}  (${flags.join(', ')})`);
      }
      return;
    }
    case 'groups members': {
      const g = await m.groupInfo(args[0]!);
      if (values.json) {
        sayJson(g.members.map(({ userId, email, name, role, viaScim, you }) => ({ userId, email, name, role, viaScim, you })));
        return;
      }
      say(`${g.name} (${g.id}): ${g.memberCount} member${g.memberCount === 1 ? '' : 's'}${g.members.length < g.memberCount ? `, ${g.members.length} shown (confidential group)` : ''}`);
      for (const u of g.members) say(`  ${u.name} <${u.email}>  ${u.role}${u.viaScim ? ' (directory)' : ''}${u.you ? ' (you)' : ''}`);
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
      say(`${done} ${group}`);
      return;
    }
    case 'groups leave': {
      await m.leaveGroup(args[0]!);
      say(`left ${args[0]}`);
      return;
    }
  }
}
