// A small, STRICT semantic-version parser and comparator for release versions, PURE.
//
// Accepted: `MAJOR.MINOR.PATCH` or `MAJOR.MINOR.PATCH-PRERELEASE` (semver.org 2.0.0, without build metadata):
//   - MAJOR, MINOR, PATCH: decimal, no leading zeros ("0" is fine, "01" is not), at most 9 digits each;
//   - PRERELEASE: dot-separated identifiers of [0-9A-Za-z-]; numeric identifiers without leading zeros;
//   - nothing else: no "v" prefix, no "+build" suffix, no whitespace, at most 128 characters.
// Ordering is semver precedence: numeric fields compared as numbers; a pre-release sorts BEFORE its release
// (1.2.3-beta.1 < 1.2.3); pre-release identifiers compared left to right, numeric ones as numbers and below
// alphanumeric ones, alphanumeric ones by ASCII order, and a shorter list sorts first when all shared ones match
// (1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0).

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: readonly (string | number)[];
}

const NUM = '(0|[1-9][0-9]{0,8})';
const IDENT = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const SEMVER_RE = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?$`);

/** The parsed version, or undefined when `text` is not a strict MAJOR.MINOR.PATCH[-PRERELEASE]. */
export function parseSemver(text: string): SemVer | undefined {
  if (typeof text !== 'string' || text.length > 128) return undefined;
  const m = SEMVER_RE.exec(text);
  if (!m) return undefined;
  const prerelease = m[4] === undefined ? [] : m[4].split('.').map((id) => (/^[0-9]+$/.test(id) ? Number(id) : id));
  if (prerelease.some((id) => typeof id === 'number' && !Number.isSafeInteger(id))) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease };
}

export function isSemver(text: string): boolean {
  return parseSemver(text) !== undefined;
}

function cmp(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.sign(a - b);
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** -1, 0 or 1 by semver precedence. Throws on a string that is not a strict version (callers validate first). */
export function compareSemver(a: string, b: string): -1 | 0 | 1 {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x) throw new Error(`not a version (MAJOR.MINOR.PATCH[-PRERELEASE]): ${JSON.stringify(a)}`);
  if (!y) throw new Error(`not a version (MAJOR.MINOR.PATCH[-PRERELEASE]): ${JSON.stringify(b)}`);
  const core = cmp(x.major, y.major) || cmp(x.minor, y.minor) || cmp(x.patch, y.patch);
  if (core !== 0) return core as -1 | 1;
  if (x.prerelease.length === 0 || y.prerelease.length === 0) {
    return cmp(y.prerelease.length, x.prerelease.length) as -1 | 0 | 1; // the release (no pre-release) is higher
  }
  for (let i = 0; i < Math.min(x.prerelease.length, y.prerelease.length); i++) {
    const c = cmp(x.prerelease[i]!, y.prerelease[i]!);
    if (c !== 0) return c as -1 | 1;
  }
  return cmp(x.prerelease.length, y.prerelease.length) as -1 | 0 | 1;
}
