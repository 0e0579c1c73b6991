// RESERVED for the attachments work in progress (replace this comment and the SQL; keep the number).
export const migration = 'SELECT 1';
