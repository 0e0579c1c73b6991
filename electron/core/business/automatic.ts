// Which messages a device sent (or received) as automatic — an away reply or a first-contact greeting — so the
// content record says so (common/wire/content.ts `automatic`) and the UI can label them. Kept in the store's
// meta (no schema change), bounded to the most recent ids: older automatic messages simply lose their label.
import type { AutomaticKind } from '../../../common/wire/content.ts';
import type { LocalStore } from '../store/local-store.ts';

const KEY = 'business.automatic';
const KEEP = 1000;

type Registry = Array<[string, AutomaticKind]>;

/** Records `messageId` as automatic; call inside the store's write (exclusive) that stores the message. */
export function markAutomatic(store: LocalStore, messageId: string, kind: AutomaticKind): void {
  const list = (store.getJson<Registry>(KEY) ?? []).filter(([id]) => id !== messageId);
  list.push([messageId, kind]);
  store.setJson(KEY, list.slice(-KEEP));
}

export function automaticOf(store: LocalStore, messageId: string): AutomaticKind | undefined {
  return (store.getJson<Registry>(KEY) ?? []).find(([id]) => id === messageId)?.[1];
}

/** The `automatic` field of a content record for this stored message ({} for an ordinary one). */
export function automaticField(store: LocalStore, messageId: string): { automatic?: AutomaticKind } {
  const kind = automaticOf(store, messageId);
  return kind ? { automatic: kind } : {};
}

/** Every remembered automatic message id with its kind (one read for a page of messages). */
export function automaticKinds(store: LocalStore): Map<string, AutomaticKind> {
  return new Map(store.getJson<Registry>(KEY) ?? []);
}
