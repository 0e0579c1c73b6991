// Attachments kept on this device (electron/core/attachments/): the ciphertext of a file lives in
// <profile>/attachments/<id> (useless without its key, which stays in messages.attachments in this store);
// a row per file says which message it belongs to, so the sweep can delete the files no message references
// any longer (delete for everyone, delete for me, retention).
export const migration = `CREATE TABLE attachment_files (
     attachment_id TEXT PRIMARY KEY,
     message_id    TEXT NOT NULL,
     size          INTEGER NOT NULL,
     fetched_at    INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX attachment_files_message ON attachment_files (message_id);`;
