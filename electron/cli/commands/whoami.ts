// `parley whoami` without loading the messenger: the account is a row in the store, and loading the whole
// client (the Signal library, the WebSocket client, the sign-in code…) cost most of the command's time.
// It still does what every launch does before anything is shown (main.ts ran the lifecycle check): the
// retention purge. Anything unusual — no store yet, something expired whose files must go — returns false
// and main.ts takes the ordinary path (Messenger.open), which says or does the rest.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Account } from '../../core/context.ts';
import { readProfileInfo } from '../../core/account/profile.ts';
import { LocalStore, STORE_FILE } from '../../core/store/local-store.ts';
import type { SecretVault } from '../../core/store/vault.ts';
import { flushFreedPages, purgeDue } from '../../core/retention/purge.ts';
import { cachedRules } from '../../core/retention/rules.ts';
import { say, sayJson, warn } from './terminal.ts';

/** The lines `parley whoami` prints (also used on the ordinary path). */
export function printWhoami(me: Readonly<Account> & { vault: unknown }, json: boolean): void {
  if (json) sayJson(me);
  else for (const line of [`${me.name} <${me.email}>`, `user ${me.userId} · device ${me.deviceId}`, `server ${me.server}`, `issuer ${me.issuer}`, ...(me.orgAdmin ? ['org admin'] : [])]) say(line);
}

/** Prints the account of `profile` and returns true, or returns false (nothing printed) for the ordinary path. */
export async function whoamiQuick(profile: string, vault: SecretVault, json: boolean): Promise<boolean> {
  const info = readProfileInfo(profile);
  if (!info || !existsSync(join(profile, STORE_FILE))) return false;
  const store = await LocalStore.open(profile, vault);
  try {
    const account = store.getJson<Account>('account');
    if (!account || store.getMeta('credential') === undefined) return false;
    // As Messenger.open: what is past its timer or the org's retention goes at every launch.
    const expired = await store.exclusive(async () => purgeDue(store, Date.now(), cachedRules(store).messagesDays))
      .catch((err: Error) => { warn(`could not delete expired messages: ${err.message}`); return []; });
    if (expired.length > 0) {
      flushFreedPages(store);
      return false; // Messenger.open's sweep removes their files
    }
    printWhoami({ ...account, vault: info.vault }, json);
    return true;
  } finally {
    store.close();
  }
}
