// Messages people use at work (common/wire/content.ts v2): replies, files, edits (with their history kept
// here), delete-for-everyone, reactions, read state, placeholders for unknown kinds, disappearing timers.
// `body` stays the searchable text: a message deleted for everyone keeps its row with body '' and no files.
export const migration = `ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'unknown', 'system'));
   ALTER TABLE messages ADD COLUMN reply_to TEXT;
   ALTER TABLE messages ADD COLUMN reply_author TEXT;
   ALTER TABLE messages ADD COLUMN reply_excerpt TEXT;
   ALTER TABLE messages ADD COLUMN attachments TEXT;
   ALTER TABLE messages ADD COLUMN edited_at INTEGER;
   ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1));
   ALTER TABLE messages ADD COLUMN read_at INTEGER;
   ALTER TABLE messages ADD COLUMN expires_in INTEGER;
   ALTER TABLE messages ADD COLUMN expires_at INTEGER;
   UPDATE messages SET kind = 'system' WHERE direction = 'system';
   UPDATE messages SET read_at = received_at WHERE direction = 'in' AND id NOT IN (
     SELECT id FROM (SELECT m.id, c.unread, row_number() OVER (PARTITION BY m.conversation_id ORDER BY m.seq DESC) AS rn
       FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.direction = 'in') WHERE rn <= unread);
   CREATE INDEX messages_unread ON messages (conversation_id, read_at) WHERE direction = 'in';
   CREATE TABLE message_edits (id INTEGER PRIMARY KEY, message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
     body TEXT NOT NULL, replaced_at INTEGER NOT NULL) STRICT;
   CREATE INDEX message_edits_message ON message_edits (message_id, id);
   CREATE TABLE reactions (message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE, user_id TEXT NOT NULL,
     emoji TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (message_id, user_id)) STRICT;
   ALTER TABLE conversations ADD COLUMN disappearing_seconds INTEGER;`;
