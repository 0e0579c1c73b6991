// `parley quick-replies add /SHORTCUT TEXT | list [--json] | remove /SHORTCUT` (core/business/quick-replies.ts).
import type { Messenger } from '../../core/messenger.ts';
import type { Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';

export async function quickRepliesCommand(m: Messenger, { command, args, values }: Parsed): Promise<void> {
  const q = m.business.quickReplies;
  switch (command) {
    case 'quick-replies add': {
      const r = await q.add(args[0]!, args[1]!);
      say(`Quick reply ${args[0]} saved${r.devices > 0 ? ` (synced to ${r.devices} other device${r.devices === 1 ? '' : 's'})` : ''}.`);
      return;
    }
    case 'quick-replies remove': {
      const r = await q.remove(args[0]!);
      say(`Quick reply ${args[0]} removed${r.devices > 0 ? ` (synced to ${r.devices} other device${r.devices === 1 ? '' : 's'})` : ''}.`);
      return;
    }
    case 'quick-replies list': {
      const items = q.list();
      if (values.json) { sayJson(items); return; }
      if (items.length === 0) say('No quick replies.');
      for (const i of items) say(`${i.shortcut.padEnd(16)} ${i.text.replace(/\n/g, ' ')}`);
      return;
    }
  }
}
