// List filters: what Entra ID and Okta send (`userName eq "…"`, `externalId eq "…"`, `displayName eq "…"`,
// and — when an Entra admin matches users on the work email — `emails[type eq "work"].value eq "…"`, which is
// taken as an email match), parsed with scim2-parse-filter into an AST, then accepted only if it is ONE `eq`
// comparison of a supported attribute with a string. Anything else (other operators, `and`/`or`, unknown attributes, non-string values,
// text the parser rejects) is 400 invalidFilter. The value only ever reaches SQL as a bound parameter.
import { parse } from 'scim2-parse-filter';
import { URN } from '../../common/wire/scim.ts';
import { badRequest } from './errors.ts';
import type { Kind } from './schema.ts';

type ListFilter =
  | { attr: 'userName' | 'externalId' | 'id' | 'emails'; value: string }
  | { attr: 'displayName' | 'externalId' | 'id'; value: string };

const SUPPORTED: Record<Kind, Record<string, ListFilter['attr']>> = {
  User: { username: 'userName', externalid: 'externalId', id: 'id', 'emails.value': 'emails', emails: 'emails' },
  Group: { displayname: 'displayName', externalid: 'externalId', id: 'id' },
};

const MAX_FILTER_CHARS = 1024;
const MAX_FILTER_NESTING = 8;

/** The deepest nesting of ( and [ in the text (quotes ignored: it is only a bound, not a parse). */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  for (const c of text) {
    if (c === '(' || c === '[') max = Math.max(max, ++depth);
    else if ((c === ')' || c === ']') && depth > 0) depth--;
  }
  return max;
}

export function parseListFilter(kind: Kind, text: string | undefined): ListFilter | null {
  if (text === undefined || text.trim() === '') return null;
  const invalid = () => badRequest('invalidFilter', `Unsupported filter ${JSON.stringify(text.slice(0, 200))}: use ${
    kind === 'User' ? 'userName eq "…" or externalId eq "…"' : 'displayName eq "…" or externalId eq "…"'}.`);
  // What Entra and Okta send is one short comparison; a long or deeply nested text is refused before the
  // (recursive) parser sees it, so a hostile filter costs no stack and no time.
  if (text.length > MAX_FILTER_CHARS || nesting(text) > MAX_FILTER_NESTING) throw invalid();
  let ast;
  try {
    ast = parse(text);
  } catch {
    throw invalid();
  }
  // Entra's `emails[type eq "work"].value eq "x"` parses as (emails[type eq "work"]) and (emails.value eq "x").
  if (kind === 'User' && ast.op === 'and' && ast.filters.length === 2) {
    const [sel, cmp] = ast.filters;
    if (sel?.op === '[]' && sel.attrPath.toLowerCase() === 'emails' && sel.valFilter.op === 'eq' && sel.valFilter.attrPath.toLowerCase() === 'type'
      && cmp?.op === 'eq' && cmp.attrPath.toLowerCase() === 'emails.value') ast = cmp;
  }
  if (ast.op !== 'eq' || !('compValue' in ast) || typeof ast.compValue !== 'string') throw invalid();
  let path = ast.attrPath;
  const core = kind === 'User' ? URN.user : URN.group;
  if (path.toLowerCase().startsWith(`${core.toLowerCase()}:`)) path = path.slice(core.length + 1);
  const attr = SUPPORTED[kind][path.toLowerCase()];
  if (!attr) throw invalid();
  return { attr, value: ast.compValue } as ListFilter;
}
