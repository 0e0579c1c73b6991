// Group events from the server's log (common/wire/groups.ts) as the system messages people read in the chat.
import type { GroupEvent } from '../../../common/wire/groups.ts';

export interface GroupEventNames {
  /** This user's id: events about them read "you". */
  me: string;
  nameOf(userId: string): string;
}

const DIRECTORY = 'the company directory';

export function groupEventText(e: GroupEvent, names: GroupEventNames): string {
  const who = (u: string | null, capital: boolean) => {
    if (u === null) return capital ? 'Someone' : 'someone';
    if (u === names.me) return capital ? 'You' : 'you';
    return names.nameOf(u);
  };
  const actor = e.actor === 'scim' ? DIRECTORY : who(e.actor, true);
  const subject = who(e.subject, false);
  const Subject = who(e.subject, true);
  switch (e.kind) {
    case 'created': return `${actor === DIRECTORY ? 'The company directory' : actor} created the group.`;
    case 'added': return e.actor === 'scim' ? `${Subject} joined through ${DIRECTORY}.` : `${actor} added ${subject}.`;
    case 'removed': return e.actor === 'scim' ? `${Subject} left: removed from the directory group.` : `${actor} removed ${subject}.`;
    case 'left': return `${Subject} left.`;
    case 'deactivated': return `${Subject} left: account deactivated.`;
    case 'promoted': return `${actor === DIRECTORY ? 'The company directory' : actor} made ${subject} a group admin.`;
    case 'demoted': return `${actor === DIRECTORY ? 'The company directory' : actor} made ${subject} a member (no longer admin).`;
    case 'settings': return `${actor === DIRECTORY ? 'The company directory' : actor} changed the group settings.`;
  }
}
