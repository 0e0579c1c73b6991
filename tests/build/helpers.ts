// Helpers of the packaging tests: electron-builder's own glob engine (app-builder-lib's minimatch and its
// "last matching pattern wins" filter), so the `files` checks evaluate patterns exactly as a build would.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

const builderRequire = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
interface MinimatchLike { negate: boolean; match(path: string, partial?: boolean): boolean }
const { Minimatch } = builderRequire('minimatch') as { Minimatch: new (pattern: string, options: { dot: boolean }) => MinimatchLike };

/** Expands ${arch} the way electron-builder does for one target arch. */
export function expandArch(pattern: string, arch: string): string {
  return pattern.replace(/\$\{arch\}/g, arch);
}

/** electron-builder's minimatchAll (app-builder-lib/out/util/filter.js): once matched, only exclusions are re-tested. */
function matchAll(path: string, patterns: MinimatchLike[]): boolean {
  let match = false;
  for (const p of patterns) {
    if (match !== p.negate) continue;
    match = p.match(path);
  }
  return match;
}

/** Would `path` (relative to the project root) be copied into app.asar by these `files` patterns?
 * Project files go through all patterns; node_modules files through '**' + the exclusions only
 * (app-builder-lib fileMatcher.getNodeModuleFileMatcher). */
export function selected(path: string, patterns: readonly string[], arch: string): boolean {
  const expanded = patterns.map((p) => expandArch(p, arch));
  const forModules = path.startsWith('node_modules/');
  const list = forModules ? ['**/*', ...expanded.filter((p) => p.startsWith('!'))] : expanded;
  return matchAll(path, list.map((p) => new Minimatch(p, { dot: true })));
}
