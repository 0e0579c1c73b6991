// The app:// protocol: maps app://parley/<path> to a file under the built renderer (out/renderer) and answers
// it with the CSP header. No 'electron' import: main.ts wraps appResponse() in protocol.handle, tests drive it
// directly. The resolver, the MIME table and the CSP are the browser shell's too (electron/app/static/).
import { CSP, mimeType, readStatic, resolveStaticPath } from '../app/static/static-files.ts';

export { mimeType };

/** The raw path of app://parley/… (host matched case-insensitively, as Chromium canonicalizes it). */
const APP_URL = /^app:\/\/parley(\/[^?#]*)?(?:[?#].*)?$/i;

/** The raw (still percent-encoded) path of an app://parley URL, or null for any other URL. */
function appRawPath(requestUrl: string): string | null {
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
  return m[1] ?? '/';
}

/** The file that `requestUrl` names under `rootDir`, or null when the URL is not the app's or could escape the
 * root (see resolveStaticPath). `/` and directory paths map to index.html. */
export function resolveAppPath(rootDir: string, requestUrl: string): string | null {
  const raw = appRawPath(requestUrl);
  return raw === null ? null : resolveStaticPath(rootDir, raw);
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
  const raw = appRawPath(requestUrl);
  if (raw === null) return { status: 404, headers, body: null };
  const file = await readStatic(rootDir, raw, method);
  if (file.status !== 200) return { status: 404, headers, body: null };
  return { status: 200, headers: { ...headers, 'Content-Type': file.contentType! }, body: file.body };
}
