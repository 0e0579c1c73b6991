// Headless "browser" for the embedded dev IdP only (`parley login --user alice`): it walks the same
// HTTP pages a person would — authorization request, login form (Username + Sign in), redirects with
// cookies — until the IdP redirects to our loopback callback. The tokens are real; only the human is not.
// Callers must check the server runs the dev IdP (ClientConfig.devIdp) before using it.
import type { OpenBrowser } from './oidc.ts';
import { SignInError } from './oidc.ts';

const MAX_HOPS = 25;

export function devIdpAutoLogin(username: string): OpenBrowser {
  return async (startUrl: string) => {
    const cookies = new Map<string, string>();
    let url = startUrl;
    let init: { method: string; body?: string; contentType?: string } = { method: 'GET' };
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const target = new URL(url);
      if (target.pathname === '/callback' && target.hostname === '127.0.0.1') {
        await fetch(url); // lands on our own loopback listener, which completes the sign-in
        return;
      }
      const headers: Record<string, string> = {};
      if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      if (init.contentType) headers['content-type'] = init.contentType;
      const res = await fetch(url, { method: init.method, body: init.body, headers, redirect: 'manual' });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        if (eq > 0) cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).href;
        init = { method: 'GET' };
        continue;
      }
      const html = await res.text();
      const form = /<form[^>]*action="([^"]+)"[^>]*>[\s\S]*?name="username"/i.exec(html);
      if (res.status === 200 && form && init.method === 'GET') {
        url = new URL(form[1]!.replace(/&amp;/g, '&'), url).href;
        init = { method: 'POST', body: new URLSearchParams({ username }).toString(), contentType: 'application/x-www-form-urlencoded' };
        continue;
      }
      const why = /role="alert"[^>]*>([^<]+)</i.exec(html)?.[1] ?? /<title>([^<]*)</i.exec(html)?.[1] ?? `HTTP ${res.status}`;
      throw new SignInError(`dev IdP login as "${username}" failed: ${why.trim()}`);
    }
    throw new SignInError('dev IdP login did not finish (too many redirects)');
  };
}
