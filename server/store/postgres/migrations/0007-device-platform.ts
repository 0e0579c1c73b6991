// What kind of machine a device runs on ('Linux', 'macOS', 'Windows'), shown next to its name.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 7,
  name: 'device-platform',
  sql: `
  ALTER TABLE devices ADD COLUMN platform TEXT NOT NULL DEFAULT '';
  `,
};
