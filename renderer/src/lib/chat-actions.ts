// What the chat does with messages and files besides sending: reactions, edits, deletes, uploads, image
// previews (decoded here from a blob: URL — the CSP allows blob: images and nothing remote), saving and
// opening files. Every function rejects with a readable Error.
import { call } from './api.ts';
import type { AttachmentView, FileOutcome, MessageView } from './api.ts';
import { MAX_UPLOAD_BYTES } from '../../../common/app-api/contract.ts';

/** A file uploaded for the next message (attachments.upload), shown in the composer until sent. */
export interface PendingFile { uploadId: string; fileName: string; size: number; isImage: boolean; contentType: string }

/** How files being sent look in the message's placeholder until the core answers. */
export function asAttachments(files: PendingFile[]): AttachmentView[] {
  return files.map((f, index) => ({ index, fileName: f.fileName, contentType: f.contentType, size: f.size, isImage: f.isImage, isExecutable: false }));
}

/** The reactions offered first (any emoji works; these cover most of a working day). */
export const QUICK_REACTIONS: ReadonlyArray<[string, string]> = [
  ['👍', 'thumbs up'], ['❤️', 'heart'], ['😂', 'laughing'], ['😮', 'surprised'], ['😢', 'sad'], ['🎉', 'party'], ['✅', 'done'], ['👀', 'looking'],
];
/** Authors may edit their messages this long after sending (receivers check it too). */
export const EDIT_WINDOW_MS = 24 * 3600_000;
/** Image types previewed inline (never SVG: it is a document, not a picture). */
const PREVIEW_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export function canEdit(m: MessageView, now = Date.now()): boolean {
  return m.direction === 'out' && !m.deleted && !m.unknownKind && !m.id.startsWith('local-') && m.text.trim() !== '' && now - m.sentAt < EDIT_WINDOW_MS;
}

/** "12 KB", "3.4 MB". */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

export async function react(m: MessageView, emoji: string): Promise<void> {
  const mine = m.reactions?.find((r) => r.mine);
  // Choosing my current reaction again withdraws it; another emoji replaces it (one per person).
  await call('messages.react', { messageId: m.id, emoji, ...(mine?.emoji === emoji ? { remove: true } : {}) });
}

export async function edit(m: MessageView, text: string): Promise<MessageView> {
  return call('messages.edit', { messageId: m.id, text });
}

export async function remove(m: MessageView, forEveryone: boolean): Promise<void> {
  await call('messages.delete', { messageId: m.id, forEveryone });
}

export async function copyText(m: MessageView): Promise<void> {
  try {
    await navigator.clipboard.writeText(m.text);
  } catch {
    throw new Error('Parley could not copy the text: the clipboard is not available.');
  }
}

function toBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(new Error('Parley could not read the file.'));
    reader.readAsDataURL(file);
  });
}

function fromBase64(data: string): Uint8Array<ArrayBuffer> {
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Encrypts and uploads one file for the next message. */
export async function upload(file: File, fallbackName = 'file'): Promise<PendingFile> {
  if (file.size > MAX_UPLOAD_BYTES) {
    throw new Error(`${file.name || fallbackName} is ${fileSize(file.size)}: files up to ${fileSize(MAX_UPLOAD_BYTES)} can be sent.`);
  }
  const contentType = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/.test(file.type) ? file.type : 'application/octet-stream';
  const fileName = (file.name || fallbackName).slice(0, 255);
  const up = await call('attachments.upload', { fileName, contentType, data: await toBase64(file) });
  return { uploadId: up.uploadId, fileName: up.fileName, size: up.size, isImage: up.isImage, contentType };
}

/** An image attachment as a blob: URL for <img> (revoke it when done). */
export async function previewUrl(messageId: string, index: number): Promise<string> {
  const p = await call('attachments.preview', { messageId, index });
  if (!PREVIEW_TYPES.has(p.contentType)) throw new Error('This file cannot be previewed.');
  return URL.createObjectURL(new Blob([fromBase64(p.data)], { type: p.contentType }));
}

/** Hands a file to the browser as a download (the browser shell has no save dialog of its own). */
function download(fileName: string, data: string): void {
  // octet-stream: the browser saves it, never shows or runs it.
  const url = URL.createObjectURL(new Blob([fromBase64(data)], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Saves (or opens) an attachment; returns the sentence to show, or null when the user cancelled. */
export async function saveOrOpen(messageId: string, index: number, how: 'save' | 'open'): Promise<string | null> {
  const r: FileOutcome = await call(how === 'save' ? 'attachments.save' : 'attachments.open', { messageId, index });
  switch (r.outcome) {
    case 'cancelled': return null;
    case 'saved': return `Saved ${r.fileName}.`;
    case 'opened': return `Saved ${r.fileName} to Downloads and opened it.`;
    case 'download':
      download(r.fileName, r.data);
      return `Downloading ${r.fileName}.`;
  }
}
