// RESERVED for the attachments work in progress (replace this comment and the SQL; keep the number).
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 9,
  name: 'attachments',
  sql: 'SELECT 1',
};
