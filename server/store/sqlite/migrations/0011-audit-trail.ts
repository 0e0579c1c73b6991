// RESERVED for the audit-trail work in progress (replace this comment and the SQL; keep the number).
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 11,
  name: 'audit-trail',
  sql: 'SELECT 1',
};
