// RESERVED for the search-and-chat-settings work in progress (replace this comment and the SQL; keep the number).
export const migration = 'SELECT 1';
