// Serving the built renderer — ONE policy, ONE resolver, ONE MIME table for both shells: app:// in Electron
// (electron/main/app-protocol.ts) and the browser shell's loopback server (electron/browser-shell/server.ts).
// It lives in electron/app/ because both shells sit above the app layer and may import it (layer rules,
// .dependency-cruiser.cjs); not in common/, which the sandboxed renderer imports too (no node:path or fs
// there) and which holds the wire and app API contracts only. renderer/index.html repeats CSP_META in its
// <meta>; tests/security/csp.test.ts holds the two equal.
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, resolve, sep } from 'node:path';

/** The Content-Security-Policy of the UI, sent as a header by both shells. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Directives a <meta> policy cannot carry (browsers ignore them there): header only. */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'sandbox']);
/** The same policy as renderer/index.html's <meta http-equiv="Content-Security-Policy"> carries it. */
export const CSP_META = CSP.split(';').map((d) => d.trim()).filter((d) => !HEADER_ONLY.has(d.split(' ')[0]!)).join('; ');

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

const insideRoot = (root: string, full: string) => full.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * The file under `rootDir` that the raw (still percent-encoded) request path names, or null when it could
 * escape the root. Percent-decoding happens exactly once; `..`/`.` segments (raw or encoded), encoded slashes
 * and backslashes, backslashes, NUL and other control characters, drive letters/colons and relative or absolute
 * paths are refused, and the resolved path must lie strictly inside the resolved root (separator-aware).
 * `/` and directory paths map to index.html.
 */
export function resolveStaticPath(rootDir: string, rawPath: string): string | null {
  if (typeof rawPath !== 'string' || rawPath.length > 4096 || !rawPath.startsWith('/')) return null;
  if (/%(2f|5c|00)/i.test(rawPath) || rawPath.includes('\\')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
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
  return insideRoot(root, full) ? full : null;
}

export interface StaticFile {
  status: 200 | 404 | 405;
  /** Set on 200. */
  contentType?: string;
  /** null for HEAD and errors. */
  body: Uint8Array<ArrayBuffer> | null;
}

/** Reads the file `rawPath` names under `rootDir` (GET/HEAD only): 404 for anything not a regular file inside
 * the root — a symlink inside the build output must not lead out of it either. */
export async function readStatic(rootDir: string, rawPath: string, method = 'GET'): Promise<StaticFile> {
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, body: null };
  const file = resolveStaticPath(rootDir, rawPath);
  if (file === null) return { status: 404, body: null };
  try {
    if (!(await stat(file)).isFile()) return { status: 404, body: null };
    if (!insideRoot(await realpath(rootDir), await realpath(file))) return { status: 404, body: null };
    const body = method === 'HEAD' ? null : new Uint8Array(await readFile(file));
    return { status: 200, contentType: mimeType(file), body };
  } catch {
    return { status: 404, body: null };
  }
}
