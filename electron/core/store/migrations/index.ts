// The local store's schema, one migration per file, run in order at open (local-store.ts; PRAGMA
// user_version counts the applied ones). Append only: never edit or renumber a shipped migration; add the
// next file and list it here, in file-number order.
import { migration as initial } from './0001-initial.ts';
import { migration as senderFlags } from './0002-sender-flags.ts';
import { migration as messageContent } from './0003-message-content.ts';
import { migration as searchAndChatSettings } from './0004-search-and-chat-settings.ts';
import { migration as attachments } from './0005-attachments.ts';
import { migration as retention } from './0006-retention.ts';
import { migration as launchIndexes } from './0007-launch-indexes.ts';

export const MIGRATIONS: readonly string[] = [initial, senderFlags, messageContent, searchAndChatSettings, attachments, retention, launchIndexes];
