// Reads the fuse wire of a packaged Parley executable and compares it with build/fuses.ts.
//   node --import tsx build/scripts/verify-fuses.ts <executable or .app> [--e2e]
// Exit 0 when every fuse matches the profile (production, or e2e with --e2e), 1 otherwise (one line per mismatch).
// Used by the release workflow after packaging, and by tests/build.
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { pathToFileURL } from 'node:url';
import { E2E_FUSES, PRODUCTION_FUSES } from '../fuses.ts';

type FuseName = keyof typeof PRODUCTION_FUSES;
/** Wire bytes of @electron/fuses (constants.ts FuseState, not exported by the package): ASCII '1' and '0'. */
const ENABLE = 0x31;
const DISABLE = 0x30;

/** Fuse states of the binary, by the config names used in build/fuses.ts (true = enabled). */
export async function readFuses(executable: string): Promise<Partial<Record<FuseName, boolean>>> {
  const wire = await getCurrentFuseWire(executable) as unknown as Record<string, number>;
  const out: Partial<Record<FuseName, boolean>> = {};
  for (const [index, state] of Object.entries(wire)) {
    if (index === 'version') continue;
    const name = FuseV1Options[Number(index)];
    if (name === undefined) continue;
    const key = (name.charAt(0).toLowerCase() + name.slice(1)) as FuseName;
    if (state === ENABLE) out[key] = true;
    else if (state === DISABLE) out[key] = false;
  }
  return out;
}

/** Mismatches between the binary and the expected profile; [] when they agree. */
export async function fuseMismatches(executable: string, e2e: boolean): Promise<string[]> {
  const expected = e2e ? E2E_FUSES : PRODUCTION_FUSES;
  const actual = await readFuses(executable);
  return (Object.keys(expected) as FuseName[])
    .filter((k) => actual[k] !== expected[k])
    .map((k) => `fuse ${k}: expected ${expected[k] ? 'on' : 'off'}, binary has ${actual[k] === undefined ? 'nothing' : actual[k] ? 'on' : 'off'}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const e2e = args.includes('--e2e');
  const [executable] = args.filter((a) => a !== '--e2e');
  if (executable === undefined) {
    console.error('usage: verify-fuses.ts <packaged executable or .app> [--e2e]');
    process.exit(2);
  }
  const problems = await fuseMismatches(executable, e2e).catch((err: Error) => [`cannot read fuses of ${executable}: ${err.message}`]);
  for (const p of problems) console.error(p);
  if (problems.length === 0) console.log(`fuses of ${executable} match the ${e2e ? 'e2e' : 'production'} profile`);
  process.exit(problems.length === 0 ? 0 : 1);
}
