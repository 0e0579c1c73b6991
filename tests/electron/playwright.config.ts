// Playwright config of the Electron end-to-end tests: npx playwright test -c tests/electron/playwright.config.ts
// They need the Electron binary (node_modules/electron/dist or ELECTRON_OVERRIDE_DIST_PATH); without it the
// spec prints why and skips (exit 0).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  projects: [{ name: 'electron', testDir: '.', testMatch: /.*\.spec\.ts$/ }],
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  reporter: [['list']],
  outputDir: '../../test-results/electron',
  forbidOnly: !!process.env.CI,
});
