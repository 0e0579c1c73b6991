// Playwright: the UI in Debian's Chromium against the browser shell (project "ui"), and the packaged
// Electron app (project "electron"; skipped with a printed reason where no Electron binary exists).
// `npx playwright install` cannot work here: the system Chromium is used instead.
import { defineConfig } from '@playwright/test';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export default defineConfig({
  // The specs start the bins, which run the compiled CLI: compiled once up front.
  globalSetup: './tests/ui/global-setup.ts',
  projects: [
    {
      name: 'ui',
      testDir: 'tests/ui',
      testMatch: /.*\.spec\.ts$/,
      use: {
        browserName: 'chromium',
        launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
        viewport: { width: 1200, height: 780 },
      },
    },
    { name: 'electron', testDir: 'tests/electron', testMatch: /.*\.spec\.ts$/ },
  ],
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  forbidOnly: !!process.env.CI,
});
