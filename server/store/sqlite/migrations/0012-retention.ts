// RESERVED for the retention work in progress (replace this comment and the SQL; keep the number).
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 12,
  name: 'retention',
  sql: 'SELECT 1',
};
