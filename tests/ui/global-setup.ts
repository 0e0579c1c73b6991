// Before the UI specs: the compiled CLI that tests/ui/fixtures.ts starts through the bins, brought up to date
// once (the bins would otherwise each rebuild it when stale, at the same time).
import { compile, staleReason } from '../../build/cli/compile.mjs';
import { missingSystemPackages } from '../system-check.mjs';

export default async function globalSetup(): Promise<void> {
  // Chromium missing: one line naming the package, not a browser-launch stack trace per spec.
  const missing = missingSystemPackages(['chromium']);
  if (missing) { console.error(missing); process.exit(1); }
  if (staleReason() !== null) await compile();
}
