// The local store's schema, one migration per file, run in order at open (local-store.ts; PRAGMA
// user_version counts the applied ones). Append only: never edit or renumber a shipped migration; add the
// next file and list it here, in file-number order.
import { migration as initial } from './0001-initial.ts';
import { migration as senderFlags } from './0002-sender-flags.ts';

export const MIGRATIONS: readonly string[] = [initial, senderFlags];
