// The page the browser shows when the identity provider sends it back to our loopback callback: styled like
// the app (its colours, light and dark), no script, and a strict CSP that allows exactly this inline style by
// its hash.
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light dark; --bg: #f4f5f7; --surface: #fff; --border: #d9dde3; --text: #1b1f24; --muted: #5d6774; --accent: #2457c5; --danger: #b3261e; }
@media (prefers-color-scheme: dark) { :root { --bg: #15181d; --surface: #1e2228; --border: #343a44; --text: #e8eaed; --muted: #a9b1bc; --accent: #9bb8ff; --danger: #ffb4ab; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 24px; background: var(--bg); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, Cantarell, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 420px; width: 100%; background: var(--surface); border: 1px solid var(--border); border-radius: 14px; padding: 32px 28px;
  text-align: center; box-shadow: 0 1px 2px rgb(16 24 40 / 6%), 0 4px 16px rgb(16 24 40 / 8%); }
svg { display: block; margin: 0 auto 16px; }
h1 { font-size: 1.3rem; margin: 0 0 8px; }
p { margin: 0; color: var(--muted); }
.failed h1 { color: var(--danger); }
`;

const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const LOGO = `<svg viewBox="0 0 48 48" width="48" height="48" aria-hidden="true" focusable="false">
<rect x="2" y="2" width="44" height="44" rx="12" fill="#2457c5"/>
<path d="M14 15h16a6 6 0 0 1 6 6v6a6 6 0 0 1-6 6h-7l-7 5v-5h-2a6 6 0 0 1-6-6v-6a6 6 0 0 1 6-6z" fill="#fff"/>
<rect x="19" y="22" width="10" height="7" rx="1.5" fill="#2457c5"/>
<path d="M21 22v-2a3 3 0 0 1 6 0v2" stroke="#2457c5" stroke-width="2" fill="none"/></svg>`;

/** Headers and body of the callback page; `ok` false when the identity provider sent an error back. */
export function signedInPage(ok: boolean): { headers: Record<string, string>; body: string } {
  const [heading, text] = ok
    ? ['Signed in', 'Signed in. You can close this tab and return to Parley.']
    : ['Sign-in did not complete', 'Return to Parley to see why and try again. You can close this tab.'];
  return {
    headers: {
      'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CSP,
      'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
    },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
      + `<title>Parley</title><style>${STYLE}</style></head><body><main${ok ? '' : ' class="failed"'}>${LOGO}<h1>${heading}</h1><p>${text}</p></main></body></html>`,
  };
}
