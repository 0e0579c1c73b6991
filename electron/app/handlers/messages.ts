// Handlers for what people do with messages: send (text, files, a reply), react, edit, delete, typing, and
// the files themselves — upload before sending, inline image previews, saving and opening. The UI never
// sees a file's key or relay id: an upload is named by a random id that only this app session knows.
import { randomBytes } from 'node:crypto';
import { MAX_PREVIEW_BYTES, MAX_UPLOAD_BYTES, type FileOutcome } from '../../../common/app-api/contract.ts';
import type { AttachmentPointer } from '../../../common/wire/content.ts';
import { UsageError, type Messenger } from '../../core/messenger.ts';
import { messageView } from '../views.ts';
import type { AppHost, Handlers } from '../host.ts';
import { groupAction } from './groups.ts';
import { isExecutableFile, isPreviewableType, safeFileName, sniffImage } from './attachment-files.ts';

type MessageMethods = 'messages.send' | 'messages.react' | 'messages.edit' | 'messages.delete' | 'messages.typing'
  | 'attachments.upload' | 'attachments.preview' | 'attachments.save' | 'attachments.open';

/** Uploads not yet sent are forgotten after this long (the relay drops unclaimed blobs on its own). */
const UPLOAD_TTL_MS = 6 * 3600_000;
/** At most this many uploads wait for a message at once. */
const MAX_PENDING_UPLOADS = 50;

interface PendingUpload { pointer: AttachmentPointer; at: number }

export function messageHandlers(host: AppHost): Pick<Handlers, MessageMethods> {
  const uploads = new Map<string, PendingUpload>();

  /** The file at `index` of a message on this device, or a UsageError. */
  function attachmentOf(m: Messenger, messageId: string, index: number): AttachmentPointer {
    const stored = m.findMessage(messageId);
    const pointer = stored?.attachments?.[index];
    if (!stored || !pointer) throw new UsageError('That file is not on this device (any more).');
    return pointer;
  }

  /** The stored message as the UI shows it, pushed to every window too. */
  function updated(m: Messenger, messageId: string) {
    const stored = m.findMessage(messageId);
    if (!stored) throw new UsageError('That message is not on this device (any more).');
    const view = messageView(m, stored);
    host.emit({ type: 'messageUpdated', message: view });
    host.emit({ type: 'conversations' });
    return view;
  }

  /** Browser shell: no save dialog or OS opening here; the page downloads the bytes. */
  async function asDownload(m: Messenger, messageId: string, index: number, pointer: AttachmentPointer): Promise<FileOutcome> {
    if (pointer.size > MAX_UPLOAD_BYTES) throw new UsageError('This file is too large to download here: save it with the desktop app or `parley attachments save`.');
    const bytes = await host.guard(() => m.attachments.read(messageId, index, { maxBytes: MAX_UPLOAD_BYTES }));
    return { outcome: 'download', fileName: safeFileName(pointer.fileName), data: Buffer.from(bytes).toString('base64') };
  }

  return {
    'messages.send': async ({ conversationId, text, replyTo, attachments, urgent }) => {
      const m = host.requireReady();
      const c = m.conversation(conversationId);
      if (!c) throw new UsageError('no such conversation');
      const pointers = (attachments ?? []).map((id) => {
        const u = uploads.get(id);
        if (!u) throw new UsageError('A file was not uploaded (or its upload expired): attach it again.');
        return u.pointer;
      });
      if (text.trim() === '' && pointers.length === 0) throw new UsageError('the message is empty');
      const input = {
        ...(text !== '' ? { text } : {}), ...(pointers.length ? { attachments: pointers } : {}), ...(replyTo ? { replyTo } : {}),
        ...(urgent ? { urgent: true } : {}),
      };
      let messageId: string;
      if (c.kind === 'group') {
        messageId = (await groupAction(host, 'send', (mm) => mm.send({ group: conversationId }, input))).messageId;
      } else {
        const contact = c.peerUserId ? m.contact(c.peerUserId) : undefined;
        if (!contact) throw new UsageError('no such conversation');
        const sent = await host.guard(() => m.send({ email: contact.email }, input));
        if (sent.queued) host.trackQueued(sent.messageId, conversationId);
        messageId = sent.messageId;
      }
      for (const id of attachments ?? []) uploads.delete(id);
      host.emit({ type: 'conversations' });
      return messageView(m, m.findMessage(messageId)!);
    },

    'messages.react': async ({ messageId, emoji, remove }) => {
      const m = host.requireReady();
      await host.guard(() => m.react(messageId, emoji, remove ? { remove: true } : {}));
      updated(m, messageId);
      return null;
    },

    'messages.edit': async ({ messageId, text }) => {
      const m = host.requireReady();
      await host.guard(() => m.edit(messageId, text));
      return updated(m, messageId);
    },

    'messages.delete': async ({ messageId, forEveryone }) => {
      const m = host.requireReady();
      const stored = m.findMessage(messageId);
      if (!stored) throw new UsageError('That message is not on this device (any more).');
      await host.guard(() => m.deleteMessage(messageId, { forEveryone }));
      if (forEveryone) updated(m, messageId);
      else {
        host.emit({ type: 'messageRemoved', conversationId: stored.conversationId, messageId });
        host.emit({ type: 'conversations' });
      }
      return null;
    },

    'messages.typing': async ({ conversationId, state }) => {
      const m = host.requireReady();
      // A courtesy: offline or refused, nobody needs to hear about it.
      await m.sendTyping(conversationId, state).catch(() => undefined);
      return null;
    },

    'attachments.upload': async ({ fileName, contentType, data }) => {
      const m = host.requireReady();
      const bytes = Buffer.from(data, 'base64');
      if (bytes.length > MAX_UPLOAD_BYTES) throw new UsageError(`Files up to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB can be sent.`);
      const now = Date.now();
      for (const [id, u] of uploads) if (now - u.at > UPLOAD_TTL_MS) uploads.delete(id);
      if (uploads.size >= MAX_PENDING_UPLOADS) throw new UsageError('Too many files are waiting to be sent: send or remove some first.');
      const type = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/.test(contentType) ? contentType : 'application/octet-stream';
      const pointer = await host.guard(() => m.attachments.upload({ fileName: fileName.normalize('NFC'), contentType: type, bytes: new Uint8Array(bytes) }));
      const uploadId = randomBytes(18).toString('base64url');
      uploads.set(uploadId, { pointer, at: now });
      return { uploadId, fileName: pointer.fileName, size: pointer.size, isImage: isPreviewableType(pointer.contentType) };
    },

    'attachments.preview': async ({ messageId, index }) => {
      const m = host.requireReady();
      const pointer = attachmentOf(m, messageId, index);
      if (!isPreviewableType(pointer.contentType)) throw new UsageError('Only pictures (PNG, JPEG, GIF, WebP) are previewed.');
      if (pointer.size > MAX_PREVIEW_BYTES) throw new UsageError('This picture is too large to preview: save it to see it.');
      const bytes = await host.guard(() => m.attachments.read(messageId, index, { maxBytes: MAX_PREVIEW_BYTES }));
      // The sender chose the type: the bytes must really be one of the four formats (never SVG, HTML, …).
      const sniffed = sniffImage(bytes);
      if (!sniffed) throw new UsageError('This file is not a picture Parley can show: save it to look at it.');
      return { contentType: sniffed, data: Buffer.from(bytes).toString('base64') };
    },

    'attachments.save': async ({ messageId, index }) => {
      const m = host.requireReady();
      const pointer = attachmentOf(m, messageId, index);
      if (!host.opts.chooseSavePath) return asDownload(m, messageId, index, pointer);
      const path = await host.opts.chooseSavePath(safeFileName(pointer.fileName));
      if (path === null) return { outcome: 'cancelled' };
      await host.guard(() => m.attachments.save(messageId, index, path));
      return { outcome: 'saved', fileName: safeFileName(pointer.fileName) };
    },

    'attachments.open': async ({ messageId, index }) => {
      const m = host.requireReady();
      const pointer = attachmentOf(m, messageId, index);
      if (isExecutableFile(pointer.fileName, pointer.contentType)) {
        throw new UsageError('Parley does not open programs, scripts or web pages. Save the file and open it yourself only if you trust it.');
      }
      const opener = host.opts.openFiles;
      if (!opener) return asDownload(m, messageId, index, pointer);
      const saved = await host.guard(() => m.attachments.saveInto(messageId, index, opener.dir));
      await opener.open(saved.path);
      return { outcome: 'opened', fileName: safeFileName(pointer.fileName) };
    },
  };
}
