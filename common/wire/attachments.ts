// Wire schemas of the attachment blob store (server/routes/attachments.ts). The body of an upload is raw
// ciphertext (application/octet-stream, Content-Length required); the server learns only its size — file
// name, content type, key and digest travel inside the Signal message (content.ts AttachmentPointer).
import { Type, type Static } from 'typebox';
import { UserId } from './schemas.ts';

export const AttachmentId = Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' });

export const AttachmentIdParams = Type.Object({ id: AttachmentId }, { additionalProperties: false });
export type AttachmentIdParams = Static<typeof AttachmentIdParams>;

/** POST /v1/attachments → the blob's id. */
export const UploadAttachmentResponse = Type.Object({ id: AttachmentId }, { additionalProperties: false });
export type UploadAttachmentResponse = Static<typeof UploadAttachmentResponse>;

/** At most this many devices in one grant (a large group's fan-out). */
export const MAX_GRANT_DEVICES = 5000;

/** PUT /v1/attachments/:id/recipients: the devices the message went to (the uploader only). */
export const GrantAttachmentRequest = Type.Object({
  devices: Type.Array(Type.Object({
    userId: UserId,
    deviceId: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }),
  }, { additionalProperties: false }), { maxItems: MAX_GRANT_DEVICES }),
}, { additionalProperties: false });
export type GrantAttachmentRequest = Static<typeof GrantAttachmentRequest>;

export const GrantAttachmentResponse = Type.Object({ granted: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
export type GrantAttachmentResponse = Static<typeof GrantAttachmentResponse>;

/** GET /v1/attachments/limits: what this server accepts, so a client refuses an over-limit file before uploading. */
export const AttachmentLimits = Type.Object({
  maxBytes: Type.Integer({ minimum: 0 }),
  quotaBytes: Type.Integer({ minimum: 0 }),
  usedBytes: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
export type AttachmentLimits = Static<typeof AttachmentLimits>;

/** Ciphertext bytes of a file of `plainBytes`: IV (16) ‖ AES-256-CBC with PKCS#7 padding ‖ HMAC-SHA256 (32). */
export const ciphertextSize = (plainBytes: number): number => 16 + (Math.floor(plainBytes / 16) + 1) * 16 + 32;
