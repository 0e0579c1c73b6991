// The browser shell: the desktop UI and the same API handlers, served to an ordinary browser over a
// loopback-only bridge — for machines without the Electron binary (CI, this workplace) and for UI tests.
// Guards: bound to 127.0.0.1 only; the Host header must be exactly our address (DNS rebinding) and a
// present Origin must be ours (cross-site requests); every API call carries the per-run session token.
// The token itself never appears in a URL, argv or the environment (any local user can read those through
// `ps`): a page gets it by redeeming a one-time code from a link (link()), so a link seen in `ps`, a
// terminal or a log is useless once opened. The page keeps the token in sessionStorage, which is scoped
// to this origin including its port — unlike a cookie, which a browser also sends to every other
// 127.0.0.1 port (a dev IdP, another user's server).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppController } from '../app/controller.ts';
import { BadCallError, createDispatcher } from '../app/controller.ts';
import { SafetyNumberChangedError, UsageError, WipeRequestedError } from '../core/messenger.ts';
import { ApiError, NetworkError } from '../core/net/api.ts';
import { CSP, readStatic, resolveStaticPath } from '../app/static/static-files.ts';
import { MAX_UPLOAD_BYTES } from '../../common/app-api/contract.ts';

/** The same traversal-checked resolver as app:// (electron/app/static/). */
export { resolveStaticPath };

const BRIDGE_DIR = fileURLToPath(new URL('.', import.meta.url));
const MAX_BODY = 64 * 1024;
/** Only /api/upload (one method, attachments.upload) takes a file: its base64 plus room for the name and type. */
const MAX_UPLOAD_BODY = Math.ceil(MAX_UPLOAD_BYTES / 3) * 4 + 4096;
const UPLOAD_METHOD = 'attachments.upload';

export interface OneTimeLink {
  /** `http://127.0.0.1:PORT/#code=…`: the code (in the fragment, never sent in a request line) works once. */
  url: string;
  /** Settles when a page has redeemed the code. */
  redeemed: Promise<void>;
  /** Withdraws the code if it is still unused (its URL then opens nothing). */
  revoke(): void;
}

export interface BrowserShell {
  origin: string;
  /** A new one-time link to open the app with. */
  link(): OneTimeLink;
  /** The session token (for in-process callers such as tests; pages get it through a link). */
  token: string;
  close(): Promise<void>;
}

export async function startBrowserShell(opts: {
  controller: AppController;
  rendererDir: string;
  port?: number;
}): Promise<BrowserShell> {
  const token = randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token);
  /** Unused one-time codes → what to do on redemption; spent codes are remembered to say so. */
  const codes = new Map<string, () => void>();
  const spent = new Set<string>();
  const dispatch = createDispatcher(opts.controller);
  let origin = '';
  let host = '';
  const streams = new Set<ServerResponse>();
  const unsubscribe = opts.controller.onEvent((e) => {
    const line = `${JSON.stringify(e)}\n`;
    for (const s of streams) s.write(line);
  });

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, status: number, error: string, message: string) => json(res, status, { error, message });
  const tokenOk = (req: IncomingMessage) => {
    const presented = Buffer.from(String(req.headers['x-parley-token'] ?? ''));
    return presented.length === tokenBytes.length && timingSafeEqual(presented, tokenBytes);
  };

  const server = createServer(async (req, res) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    if (req.headers.host !== host) return refuse(res, 421, 'wrong_host', 'This bridge answers only on its loopback address.');
    const reqOrigin = req.headers.origin;
    if (reqOrigin !== undefined && reqOrigin !== origin) return refuse(res, 403, 'wrong_origin', 'Cross-origin requests are not allowed.');
    const path = (req.url ?? '/').split('?')[0]!;

    if (path === '/api/session' && req.method === 'POST') {
      // A one-time code (from a link) for the session token: answered once per code, to a page of ours.
      if (reqOrigin === undefined) return refuse(res, 403, 'wrong_origin', 'Origin header required.');
      const body = await readJson(req, res);
      if (body === undefined) return;
      const code = (body as { code?: unknown } | null)?.code;
      if (typeof code !== 'string') return refuse(res, 400, 'invalid_request', 'Expected {"code": string}.');
      const redeemed = codes.get(code);
      if (!redeemed) {
        return spent.has(code)
          ? refuse(res, 401, 'link_used', `This link was already used: each Parley link opens the app once. ${NEW_LINK}`)
          : refuse(res, 401, 'bad_link', `This link is not valid (any more). ${NEW_LINK}`);
      }
      codes.delete(code);
      spent.add(code);
      redeemed();
      return json(res, 200, { token });
    }

    if (path.startsWith('/api/')) {
      if (!tokenOk(req)) return refuse(res, 401, 'bad_token', `This page has no Parley session. ${NEW_LINK}`);
      if (path === '/api/events' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
        res.write(`${JSON.stringify({ type: 'state', state: opts.controller.getState() })}\n`);
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      // /api/upload is /api/call for the one method that carries a file, so every other call keeps the small limit.
      if ((path === '/api/call' || path === '/api/upload') && req.method === 'POST') {
        // A POST from a page always carries Origin; requiring it keeps simple cross-site forms out.
        if (reqOrigin === undefined) return refuse(res, 403, 'wrong_origin', 'Origin header required.');
        const upload = path === '/api/upload';
        const body = await readJson(req, res, upload ? MAX_UPLOAD_BODY : MAX_BODY) as { method?: unknown; input?: unknown } | null | undefined;
        if (body === undefined) return;
        if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof body.method !== 'string') {
          return refuse(res, 400, 'invalid_request', 'Expected {"method": string, "input": object}.');
        }
        if (upload !== (body.method === UPLOAD_METHOD)) {
          return refuse(res, 400, 'invalid_request', upload ? `Only ${UPLOAD_METHOD} goes to /api/upload.` : `Send ${UPLOAD_METHOD} to /api/upload.`);
        }
        try {
          const result = await dispatch(body.method, body.input);
          return json(res, 200, { result: result ?? null });
        } catch (err) {
          const [status, error] = callFailure(err);
          return refuse(res, status, error, (err as Error)?.message || 'The call failed.');
        }
      }
      return refuse(res, 404, 'not_found', 'No such bridge endpoint.');
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method_not_allowed', 'Only GET here.');
    // bridge.js (window.parley over HTTP) sits next to this file, outside the renderer build.
    const file = await readStatic(path === '/bridge.js' ? BRIDGE_DIR : opts.rendererDir, path, req.method);
    if (file.status !== 200) {
      return refuse(res, 404, 'not_found', path === '/' ? 'The UI is not built: run npm run build:renderer.' : 'Not found.');
    }
    res.writeHead(200, { 'content-type': file.contentType!, 'content-security-policy': CSP, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });

  /** The JSON body of a request, or undefined after answering a 4xx (wrong type, too big, not JSON). */
  async function readJson(req: IncomingMessage, res: ServerResponse, limit = MAX_BODY): Promise<unknown> {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      refuse(res, 415, 'unsupported_media_type', 'Send application/json.');
      return undefined;
    }
    try {
      return JSON.parse(await readBody(req, limit)) as unknown;
    } catch (err) {
      refuse(res, (err as { status?: number }).status ?? 400, 'invalid_json', (err as Error).message || 'The body is not valid JSON.');
      return undefined;
    }
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as { port: number };
  host = `127.0.0.1:${port}`;
  origin = `http://${host}`;
  return {
    origin,
    token,
    link() {
      const code = randomBytes(32).toString('base64url');
      let resolveRedeemed!: () => void;
      const redeemed = new Promise<void>((r) => { resolveRedeemed = r; });
      codes.set(code, resolveRedeemed);
      return { url: `${origin}/#code=${code}`, redeemed, revoke: () => { if (codes.delete(code)) spent.add(code); } };
    },
    close: () => new Promise<void>((r) => {
      codes.clear();
      unsubscribe();
      for (const s of streams) s.end();
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const NEW_LINK = 'For a new link, press Enter in the terminal where Parley runs (npm start or parley-app).';

/** A failed call's HTTP status and error code: the caller's fault is 4xx; 5xx only for the relay or a bug.
 * instanceof, not names: subclasses (PermissionError is a UsageError) must land with their family. */
function callFailure(err: unknown): [number, string] {
  if (err instanceof BadCallError) return [400, 'bad_call'];
  if (err instanceof UsageError || err instanceof SafetyNumberChangedError || err instanceof WipeRequestedError) return [422, 'failed'];
  // The relay refused the request (not signed in, not an admin, unknown user…): its answer, as ours.
  if (err instanceof ApiError) return err.status >= 400 && err.status < 500 ? [422, 'refused'] : [502, 'relay_failed'];
  if (err instanceof NetworkError) return [502, 'relay_unreachable'];
  return [500, 'failed'];
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error(`The body exceeds ${limit} bytes.`), { status: 413 }));
        req.removeAllListeners('data');
        req.resume(); // drain the rest without keeping it, so the 413 can still be answered
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export const RENDERER_DIST = join(fileURLToPath(new URL('../..', import.meta.url)), 'renderer', 'dist');
