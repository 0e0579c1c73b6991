// The relay's attachment limits (parley-server --attachment-max-mib, --attachment-quota-mib). Sizes are of the
// file: the ciphertext the server accepts may exceed them by the cipher's fixed overhead (ciphertextSize).
export interface AttachmentConfig {
  /** Largest file a client may send (default 100 MiB). */
  maxBytes: number;
  /** Bytes one user's attachments may occupy on the server at once, until fetched or expired (default 1 GiB). */
  quotaBytes: number;
  /** A granted blob is deleted after this even if not every recipient device fetched it (default 30 days). */
  retentionMs: number;
  /** An upload whose recipients were never named is deleted after this (default 1 hour). */
  ungrantedMs: number;
}

export const MIB = 1024 * 1024;

export const ATTACHMENT_DEFAULTS: AttachmentConfig = {
  maxBytes: 100 * MIB,
  quotaBytes: 1024 * MIB,
  retentionMs: 30 * 24 * 3_600_000,
  ungrantedMs: 3_600_000,
};

/** Fills in defaults and refuses nonsense (a startServer configuration error, before anything opens). */
export function attachmentConfig(given: Partial<AttachmentConfig> = {}): AttachmentConfig {
  const c = { ...ATTACHMENT_DEFAULTS, ...given };
  for (const [k, v] of Object.entries(c)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`startServer: attachments.${k} must be a positive integer`);
  }
  if (c.quotaBytes < c.maxBytes) throw new Error('startServer: attachments.quotaBytes must be at least attachments.maxBytes');
  return c;
}
