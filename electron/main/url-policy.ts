// URL decisions of the shell, PURE (no 'electron'): which URLs are the app itself, which may be handed to
// the system browser, which permission requests are granted. Every check parses with the WHATWG URL parser
// and compares parsed fields; never a string prefix (app://parley.evil/ or app://parley@evil/ must fail).
import { APP_HOST, APP_SCHEME } from './window-options.ts';

function parse(url: unknown): URL | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > 8192) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True for a URL (or origin string) of the app itself: exactly app://parley, no credentials, no port. */
export function isAppUrl(url: unknown): boolean {
  const u = parse(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.hostname.toLowerCase() === APP_HOST && u.port === '' &&
    u.username === '' && u.password === '';
}

/**
 * The URL to hand to the system browser, or null: only http: and https: with a host and without
 * credentials (no file:, javascript:, smb:, custom protocol handlers …). Returns the re-serialized href.
 */
export function externalHttpUrl(url: unknown): string | null {
  const u = parse(url);
  if (u === null) return null;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  if (u.hostname === '' || u.username !== '' || u.password !== '') return null;
  return u.href;
}

/** Permissions the app may use, all others denied (request and check). */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['notifications']);

export function permissionAllowed(permission: string, requestingUrl: unknown): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isAppUrl(requestingUrl);
}

/** IPC is accepted only from the app's own top-level frame. */
export function isTrustedSender(frame: { url: string; parent: unknown } | null | undefined): boolean {
  return frame != null && frame.parent === null && isAppUrl(frame.url);
}
