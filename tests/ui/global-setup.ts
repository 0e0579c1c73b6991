// Before the UI specs: the compiled CLI that tests/ui/fixtures.ts starts through the bins, brought up to date
// once (the bins would otherwise each rebuild it when stale, at the same time).
import { compile, staleReason } from '../../build/cli/compile.mjs';

export default async function globalSetup(): Promise<void> {
  if (staleReason() !== null) await compile();
}
