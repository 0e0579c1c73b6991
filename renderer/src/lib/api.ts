// A thin typed wrapper over `window.parley` (the Electron preload or the browser shell's bridge).
import type { AppEvent, Input, MethodName, Output, ParleyApi } from '../../../common/app-api/contract.ts';

export type {
  AdminGroupView, AdminUserView, AppEvent, AppState, AttachmentView, AuditEntryView, ChatAvailability, ConversationSummary, DirectoryGroupView, DirectoryPerson,
  FileOutcome, GroupMemberView, GroupView, MessageView, OwnDeviceView, ReactionView, ReplyView, SafetyNumberView, Settings, SettingsView,
} from '../../../common/app-api/contract.ts';

declare global {
  interface Window {
    parley?: ParleyApi;
    parleyShell?: string;
  }
}

/** The API, or null when neither the preload nor the bridge provided it. */
export function bridge(): ParleyApi | null {
  const api = window.parley;
  return api && typeof api.call === 'function' && typeof api.onEvent === 'function' ? api : null;
}

/** True in the browser shell, where the UI itself must open the sign-in page. */
export function inBrowserShell(): boolean {
  return window.parleyShell === 'browser';
}

/** Calls a method; a rejection always carries a human-readable Error. */
export async function call<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>> {
  const api = bridge();
  if (!api) throw new Error('Parley is not connected to its core.');
  try {
    return await api.call(method, input);
  } catch (err) {
    throw new Error(messageOf(err));
  }
}

export function onEvent(listener: (event: AppEvent) => void): () => void {
  const api = bridge();
  return api ? api.onEvent(listener) : () => {};
}

export function messageOf(err: unknown): string {
  let text = '';
  if (typeof err === 'string') text = err;
  else if (err && typeof err === 'object' && 'message' in err && typeof (err as { message: unknown }).message === 'string') {
    text = (err as { message: string }).message;
  }
  // Electron's ipcRenderer.invoke wraps errors: "Error invoking remote method 'parley:call': SomeError: text".
  text = text.replace(/^Error invoking remote method '[^']*':\s*/, '').replace(/^[A-Za-z]*Error:\s*/, '').trim();
  return text || 'Something went wrong. Please try again.';
}
