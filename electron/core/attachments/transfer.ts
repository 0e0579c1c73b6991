// Streamed HTTP for attachment blobs (the JSON calls stay in net/api.ts): an upload sends the ciphertext as
// the encryptor produces it, with its length known up front (ciphertextSize), and a download hands the
// response stream on — neither ever holds a file in memory.
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { parseErrorBody } from '../../../common/errors.ts';
import { UploadAttachmentResponse } from '../../../common/wire/attachments.ts';
import { ApiError, checkWire, NetworkError, type ApiClient } from '../net/api.ts';

/** A socket silent this long (no byte either way) fails the transfer. */
const IDLE_MS = 60_000;
/** Error bodies are small; a server sending more is cut off. */
const MAX_ERROR_BODY = 64 * 1024;

function requestFor(api: ApiClient, method: string, path: string, headers: Record<string, string>): http.ClientRequest {
  const url = new URL(path, api.baseUrl);
  const mod = url.protocol === 'https:' ? https : http;
  const req = mod.request(url, { method, headers: { ...api.authHeaders(), ...headers } });
  req.setTimeout(IDLE_MS, () => req.destroy(new NetworkError(`${api.baseUrl} stopped answering during a file transfer`)));
  return req;
}

const unreachable = (api: ApiClient, err: Error) =>
  err instanceof NetworkError ? err : new NetworkError(`cannot reach ${api.baseUrl}: ${err.message}`);

/** Reads a small response body (error bodies, the upload's JSON answer). */
function smallBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    res.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_ERROR_BODY) res.destroy(new Error('response too large'));
      else parts.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', reject);
  });
}

async function failure(res: http.IncomingMessage, what: string): Promise<ApiError> {
  const e = parseErrorBody(res.statusCode ?? 0, await smallBody(res).catch(() => ''), what);
  return new ApiError(res.statusCode ?? 0, e.code, e.message, e.body);
}

/** POST /v1/attachments: streams `body` (exactly `length` bytes of ciphertext); the relay's id of the blob. */
export function uploadCiphertext(api: ApiClient, body: Readable, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = requestFor(api, 'POST', '/v1/attachments', {
      'content-type': 'application/octet-stream', 'content-length': String(length), accept: 'application/json',
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      if (res.statusCode !== 200) { void failure(res, 'POST /v1/attachments').then(reject); return; }
      smallBody(res).then((text) => {
        let json: unknown;
        try { json = JSON.parse(text); } catch { /* checkWire reports it */ }
        resolve(checkWire(UploadAttachmentResponse, json, 'POST /v1/attachments response').id);
      }, (err: Error) => reject(unreachable(api, err)));
    });
    // The server may refuse early (too large, over quota) and close while we still send: its answer wins.
    pipeline(body, req).catch((err: Error) => {
      if (answered) return;
      req.once('response', () => {});
      // A local failure (the file could not be read) is that error, not a network one.
      reject((err as NodeJS.ErrnoException).syscall === 'read' || (err as NodeJS.ErrnoException).code === 'ENOENT' ? err : unreachable(api, err));
    });
  });
}

/** GET /v1/attachments/:id: the ciphertext as a stream (its announced length checked against `expectedBytes`). */
export function downloadCiphertext(api: ApiClient, id: string, expectedBytes: number): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const req = requestFor(api, 'GET', `/v1/attachments/${encodeURIComponent(id)}`, { accept: 'application/octet-stream' });
    req.on('response', (res) => {
      if (res.statusCode !== 200) { void failure(res, 'GET /v1/attachments/:id').then(reject); return; }
      const announced = Number(res.headers['content-length']);
      if (res.headers['content-length'] !== undefined && announced !== expectedBytes) {
        res.destroy();
        reject(new ApiError(0, 'invalid_response', `the server announced ${announced} bytes for a file of ${expectedBytes}`, null));
        return;
      }
      resolve(res);
    });
    req.on('error', (err) => reject(unreachable(api, err)));
    req.end();
  });
}
