// End-to-end encrypted attachments: the relay stores opaque ciphertext and decides who may fetch it; it never
// sees a file name, a content type, a key or a plaintext byte (those travel inside the Signal message).
//   POST /v1/attachments            raw application/octet-stream body, Content-Length required and checked
//                                   against the limit and the uploader's quota BEFORE a byte is read; streamed
//                                   to storage (never buffered whole) → { id }
//   PUT  /v1/attachments/:id/recipients   the uploading device names the devices the message went to
//   GET  /v1/attachments/:id        streamed ciphertext, for the uploading device and the granted devices only
//                                   (anyone else: 404, the same answer as for an id that does not exist)
//   GET  /v1/attachments/limits     what this server accepts, so clients refuse a file before uploading it
// A blob is deleted once every granted device fetched it whole, an ungranted one after ungrantedMs, any after
// retentionMs (a sweep every minute and at each upload).
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Type } from 'typebox';
import {
  AttachmentIdParams, AttachmentLimits, ciphertextSize, GrantAttachmentRequest, GrantAttachmentResponse, UploadAttachmentResponse,
} from '../../common/wire/attachments.ts';
import { NoQuery } from '../../common/wire/schemas.ts';
import type { AttachmentConfig } from '../attachments/config.ts';
import { MIB } from '../attachments/config.ts';
import { authOf } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';

const SWEEP_EVERY_MS = 60_000;
const SWEEP_BATCH = 100;
/** The smallest valid ciphertext: IV, one block, MAC. */
const MIN_CIPHERTEXT = ciphertextSize(0);

const Ciphertext = Type.Unsafe<Buffer>({ type: 'string', description: 'application/octet-stream: the ciphertext blob' });

export function attachmentRoutes(app: App, ctx: AppContext, config: AttachmentConfig): void {
  const store = ctx.store.attachments;
  const maxCiphertext = ciphertextSize(config.maxBytes);
  const notFound = () => new ApiError('unknown_attachment');

  let sweeping: Promise<void> | undefined;
  const sweep = (): Promise<void> => (sweeping ??= (async () => {
    try {
      for (;;) {
        const ids = await store.expired(ctx.now(), SWEEP_BATCH);
        for (const id of ids) await store.delete(id);
        if (ids.length < SWEEP_BATCH) return;
      }
    } catch (err) {
      app.log.warn({ err }, 'attachment sweep failed; it runs again');
    } finally {
      sweeping = undefined;
    }
  })());
  const timer = setInterval(() => void sweep(), SWEEP_EVERY_MS);
  timer.unref();
  app.addHook('onClose', async () => { clearInterval(timer); await sweeping; });

  // Only this route takes a raw body, and only in this scope: the body stays a stream for the handler.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
    scope.post('/v1/attachments', {
      onRequest: ctx.authenticate,
      schema: { querystring: NoQuery, response: replies({ 200: UploadAttachmentResponse }) },
    }, async (req, reply) => {
      const { userId, deviceId } = authOf(req);
      const body = req.body;
      if (!(body instanceof Readable)) throw new ApiError('unsupported_media_type', 'Send the attachment as application/octet-stream.');
      const length = req.headers['content-length'];
      if (length === undefined || !/^[0-9]{1,15}$/.test(length)) throw new ApiError('length_required');
      const size = Number(length);
      // Refusals before reading: the connection closes after the answer instead of draining a large body.
      const refuse = (err: ApiError) => { void reply.header('connection', 'close'); return err; };
      if (size > maxCiphertext) {
        throw refuse(new ApiError('attachment_too_large', `The file is larger than this server accepts for attachments (${Math.floor(config.maxBytes / MIB)} MiB).`));
      }
      if (size < MIN_CIPHERTEXT || (size - 48) % 16 !== 0) throw refuse(new ApiError('invalid_request', 'The body is not an encrypted attachment (IV, whole AES blocks, MAC).'));
      await sweep();
      const id = randomBytes(24).toString('base64url');
      const now = ctx.now();
      const reserved = await store.reserve(
        { id, ownerUser: userId, ownerDevice: deviceId, size, createdAt: now, expiresAt: now + Math.min(config.ungrantedMs, config.retentionMs) },
        config.quotaBytes,
      );
      if (!reserved) throw refuse(new ApiError('attachment_quota_exceeded', undefined, { quotaBytes: config.quotaBytes }));
      try {
        await store.writeBlob(id, body);
      } catch (err) {
        await store.delete(id).catch(() => {});
        req.log.info({ err }, 'attachment upload cut short');
        throw new ApiError('bad_request', `The upload ended before the ${size} bytes of its Content-Length.`);
      }
      return { id };
    });
  });

  app.get('/v1/attachments/limits', {
    onRequest: ctx.authenticate,
    schema: { querystring: NoQuery, response: replies({ 200: AttachmentLimits }) },
  }, async (req) => ({ maxBytes: config.maxBytes, quotaBytes: config.quotaBytes, usedBytes: await store.usage(authOf(req).userId) }));

  app.put('/v1/attachments/:id/recipients', {
    onRequest: ctx.authenticate,
    schema: { params: AttachmentIdParams, querystring: NoQuery, body: GrantAttachmentRequest, response: replies({ 200: GrantAttachmentResponse }) },
  }, async (req) => {
    const { userId, deviceId } = authOf(req);
    const rec = await store.get(req.params.id);
    // Only the uploading device grants; to anyone else the attachment does not exist.
    if (!rec || rec.ownerUser !== userId || rec.ownerDevice !== deviceId || !rec.complete || rec.expiresAt <= ctx.now()) throw notFound();
    const seen = new Set<string>();
    const devices = req.body.devices.filter((d) => {
      const k = `${d.userId}/${d.deviceId}`;
      if (seen.has(k) || (d.userId === userId && d.deviceId === deviceId)) return false;
      seen.add(k);
      return true;
    });
    if (!(await store.grant(rec.id, devices, rec.createdAt + config.retentionMs))) throw notFound();
    return { granted: devices.length };
  });

  app.get('/v1/attachments/:id', {
    onRequest: ctx.authenticate,
    schema: { params: AttachmentIdParams, querystring: NoQuery, response: replies({ 200: Ciphertext }) },
  }, async (req, reply) => {
    const { userId, deviceId } = authOf(req);
    const rec = await store.get(req.params.id);
    if (!rec || !rec.complete || rec.expiresAt <= ctx.now()) throw notFound();
    const owner = rec.ownerUser === userId && rec.ownerDevice === deviceId;
    if (!owner && !(await store.isGranted(rec.id, userId, deviceId))) throw notFound();
    if (!owner) {
      // Counted as fetched only once the whole body went out; the last granted device's fetch deletes the blob.
      reply.raw.once('finish', () => {
        void store.markFetched(rec.id, userId, deviceId, ctx.now())
          .then((all) => (all ? store.delete(rec.id) : false))
          .catch((err: unknown) => req.log.warn({ err }, 'could not record an attachment fetch'));
      });
    }
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', String(rec.size))
      .header('cache-control', 'no-store')
      // A stream is sent as it is read (the 200 schema only documents it; nothing is serialized).
      .send(Readable.from(store.readBlob(rec.id)) as unknown as Buffer);
  });
}
