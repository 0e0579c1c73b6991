// RESERVED for the workplace work in progress (replace this comment and the SQL; keep the number).
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 10,
  name: 'workplace',
  sql: 'SELECT 1',
};
