// Web links in message text, found for display only: the text stays text (no HTML is ever built from it), and
// a link is an http(s) URL without user:password, re-serialized by the URL parser. Opening one goes through
// the core's links.open, which checks again.

export type Segment = { text: string; href?: string };

const CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the URL ("see https://x.test/a." ). */
const TRAILING = /[.,;:!?'")\]}>]+$/;

export function safeHref(candidate: string): string | null {
  let u: URL;
  try { u = new URL(candidate); } catch { return null; }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.hostname === '' || u.username !== '' || u.password !== '') return null;
  return u.href;
}

/** Keeps a closing bracket the URL itself opened: https://en.wikipedia.org/wiki/Foo_(bar). */
function trim(url: string): string {
  let out = url.replace(TRAILING, '');
  const tail = url.slice(out.length);
  for (const ch of tail) {
    const open = ch === ')' ? '(' : ch === ']' ? '[' : null;
    if (open && out.split(open).length > out.split(ch).length) out += ch;
    else break;
  }
  return out;
}

export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(CANDIDATE)) {
    const raw = trim(m[0]);
    const href = safeHref(raw);
    if (!href) continue;
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ text: raw, href });
    last = m.index + raw.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}
