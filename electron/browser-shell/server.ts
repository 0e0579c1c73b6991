// The browser shell: the desktop UI and the same API handlers, served to an ordinary browser over a
// loopback-only bridge — for machines without the Electron binary (CI, this workplace) and for UI tests.
// Guards: bound to 127.0.0.1 only; a random per-run token on every API call; the Host header must be
// exactly our address (DNS rebinding) and a present Origin must be ours (cross-site requests).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppController } from '../app/controller.ts';
import { createDispatcher } from '../app/controller.ts';
import { CSP, readStatic, resolveStaticPath } from '../app/static/static-files.ts';

/** The same traversal-checked resolver as app:// (electron/app/static/). */
export { resolveStaticPath };

const BRIDGE_DIR = fileURLToPath(new URL('.', import.meta.url));
const MAX_BODY = 64 * 1024;

export interface BrowserShell {
  /** Open this (token in the fragment) to use the app. */
  url: string;
  origin: string;
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

    if (path.startsWith('/api/')) {
      if (!tokenOk(req)) return refuse(res, 401, 'bad_token', 'Missing or wrong bridge token.');
      if (path === '/api/events' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
        res.write(`${JSON.stringify({ type: 'state', state: opts.controller.getState() })}\n`);
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      if (path === '/api/call' && req.method === 'POST') {
        // A POST from a page always carries Origin; requiring it keeps simple cross-site forms out.
        if (reqOrigin === undefined) return refuse(res, 403, 'wrong_origin', 'Origin header required.');
        if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
          return refuse(res, 415, 'unsupported_media_type', 'Send application/json.');
        }
        let body: { method?: unknown; input?: unknown };
        try {
          body = JSON.parse(await readBody(req)) as typeof body;
        } catch (err) {
          return refuse(res, (err as { status?: number }).status ?? 400, 'invalid_json', (err as Error).message || 'The body is not valid JSON.');
        }
        if (typeof body !== 'object' || body === null || typeof body.method !== 'string') {
          return refuse(res, 400, 'invalid_request', 'Expected {"method": string, "input": object}.');
        }
        try {
          const result = await dispatch(body.method, body.input);
          return json(res, 200, { result: result ?? null });
        } catch (err) {
          const e = err as Error;
          const status = e.name === 'BadCallError' ? 400 : e.name === 'UsageError' || e.name === 'SafetyNumberChangedError' ? 422 : 502;
          return refuse(res, status, e.name === 'BadCallError' ? 'bad_call' : 'failed', e.message);
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

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as { port: number };
  host = `127.0.0.1:${port}`;
  origin = `http://${host}`;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    close: () => new Promise<void>((r) => {
      unsubscribe();
      for (const s of streams) s.end();
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error(`The body exceeds ${MAX_BODY} bytes.`), { status: 413 }));
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
