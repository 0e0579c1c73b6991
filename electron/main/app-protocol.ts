// The app:// protocol: maps app://parley/<path> to a file under the built renderer (out/renderer) and
// answers it with the CSP header. No 'electron' import: main.ts wraps appResponse() in protocol.handle,
// tests drive it directly.
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, resolve, sep } from 'node:path';
import { CSP } from './window-options.ts';

/** The raw path of app://parley/… (host matched case-insensitively, as Chromium canonicalizes it). */
const APP_URL = /^app:\/\/parley(\/[^?#]*)?(?:[?#].*)?$/i;

/**
 * The file that `requestUrl` names under `rootDir`, or null when the URL is not the app's or could escape
 * the root. Percent-decoding happens exactly once; `..`/`.` segments (raw or encoded), encoded slashes and
 * backslashes, backslashes, NUL and other control characters, drive letters/colons and absolute paths are
 * refused, and the resolved path must lie strictly inside the resolved root (separator-aware).
 * `/` and directory paths map to index.html.
 */
export function resolveAppPath(rootDir: string, requestUrl: string): string | null {
  if (typeof requestUrl !== 'string' || requestUrl.length > 4096) return null;
  const m = APP_URL.exec(requestUrl);
  if (m === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(requestUrl);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'app:' || parsed.hostname.toLowerCase() !== 'parley' || parsed.port !== '' || parsed.username !== '' || parsed.password !== '') return null;

  const raw = m[1] ?? '/';
  if (/%(2f|5c|00)/i.test(raw) || raw.includes('\\')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null; // malformed percent-encoding
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\:]/.test(decoded)) return null;
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return null;

  let rel = segments.filter((s) => s !== '').join('/');
  if (rel === '' || decoded.endsWith('/')) rel = rel === '' ? 'index.html' : `${rel}/index.html`;
  if (isAbsolute(rel)) return null;

  const root = resolve(rootDir);
  const full = resolve(root, rel);
  if (!full.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  return full;
}

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function mimeType(filePath: string): string {
  return MIME[extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/** Headers on every app:// answer. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  };
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | null;
}

/** The answer to one app:// request (GET/HEAD only; 404 for anything not a file inside rootDir). */
export async function appResponse(rootDir: string, requestUrl: string, method = 'GET'): Promise<AppResponse> {
  const headers = securityHeaders();
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { ...headers, Allow: 'GET, HEAD' }, body: null };
  const file = resolveAppPath(rootDir, requestUrl);
  if (file === null) return { status: 404, headers, body: null };
  try {
    if (!(await stat(file)).isFile()) return { status: 404, headers, body: null };
    // A symlink inside the build output must not lead out of it either.
    const realRoot = await realpath(rootDir);
    if (!(await realpath(file)).startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) return { status: 404, headers, body: null };
    const body = await readFile(file);
    return { status: 200, headers: { ...headers, 'Content-Type': mimeType(file) }, body: method === 'HEAD' ? null : new Uint8Array(body) };
  } catch {
    return { status: 404, headers, body: null };
  }
}
