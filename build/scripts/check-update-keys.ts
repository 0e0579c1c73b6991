// Release gate: refuses a build that still pins a DEVELOPMENT update key ("development": true in
// build/release/update-public-keys.json, i.e. TRUSTS_DEVELOPMENT_KEY of electron/core/update/pinned-keys.ts).
// Its private half was not kept, so a release trusting it could never be updated, or worse, anyone holding a
// copy could sign updates. Run by .github/workflows/release.yml before anything is built.
//   node --import tsx build/scripts/check-update-keys.ts [KEYS.json]   (default: the keys this build pins)
// Exit 0: release keys only · 1: a development key is pinned · 2: the file cannot be read or is malformed.
import { readFileSync } from 'node:fs';
import { parsePinnedKeys, PINNED_KEYS, TRUSTS_DEVELOPMENT_KEY, type PinnedKey } from '../../electron/core/update/pinned-keys.ts';

const file = process.argv[2];
let keys: readonly PinnedKey[] = PINNED_KEYS;
let trustsDevelopmentKey = TRUSTS_DEVELOPMENT_KEY;
if (file !== undefined) {
  try {
    keys = parsePinnedKeys(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    process.stderr.write(`check-update-keys: ${file}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  trustsDevelopmentKey = keys.some((k) => k.development);
}
const source = file ?? 'build/release/update-public-keys.json';
if (trustsDevelopmentKey) {
  for (const k of keys.filter((key) => key.development)) {
    process.stderr.write(`::error::${source} pins the DEVELOPMENT update key ${k.keyId} (${k.label || 'no label'}): replace it with the release key (docs/release.md, "Update signatures")\n`);
  }
  process.exit(1);
}
process.stdout.write(`update keys: ${keys.map((k) => k.keyId).join(', ')} (no development key)\n`);
