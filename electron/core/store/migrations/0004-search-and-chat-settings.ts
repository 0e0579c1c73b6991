// Full-text search over message text, and per-chat settings (mute, pin, archive, draft).
//
// message_search is a contentless FTS5 index (it keeps no copy of the text) of real messages only: system
// messages, held messages (text hidden until the sender's new key is verified) and empty bodies (deleted
// for everyone) are left out, so they can never be found. Triggers keep it in step with every insert,
// edit, delete-for-everyone (body ''), release of a held message and row delete (delete-for-me,
// retention); they fire only when body, flag or direction change, not on status updates. 'secure-delete'
// makes FTS5 remove a deleted row's terms from the index at once, not leave them behind delete markers.
// Its rowid is minus messages.rowid: FTS5 reads a term's rows in ascending rowid order incrementally, so
// "newest first, first 50" stops early even for a word in every third message (see tests/bench/search.ts).
// prefix='2 3' indexes 2- and 3-letter prefixes: search-as-you-type stays fast on short prefixes.
// The store never runs VACUUM (it may renumber rowids of a table without an INTEGER PRIMARY KEY); if it
// ever does, it must delete and refill message_search after it.
//
// A chat archived and not muted comes back to the list when a new message arrives (chat_unarchive).
const searchable = (r: 'new' | 'old' | 'm') => `${r}.direction <> 'system' AND ${r}.flag IS NOT 'held' AND ${r}.body <> ''`;

export const migration = `
  CREATE VIRTUAL TABLE message_search USING fts5(body, content='', prefix='2 3', tokenize='unicode61 remove_diacritics 2');
  INSERT INTO message_search(message_search, rank) VALUES ('secure-delete', 1);
  INSERT INTO message_search(rowid, body) SELECT -rowid, body FROM messages m WHERE ${searchable('m')};
  CREATE TRIGGER message_search_insert AFTER INSERT ON messages WHEN ${searchable('new')} BEGIN
    INSERT INTO message_search(rowid, body) VALUES (-new.rowid, new.body);
  END;
  CREATE TRIGGER message_search_delete AFTER DELETE ON messages WHEN ${searchable('old')} BEGIN
    INSERT INTO message_search(message_search, rowid, body) VALUES ('delete', -old.rowid, old.body);
  END;
  CREATE TRIGGER message_search_update_old AFTER UPDATE OF body, flag, direction ON messages WHEN ${searchable('old')} BEGIN
    INSERT INTO message_search(message_search, rowid, body) VALUES ('delete', -old.rowid, old.body);
  END;
  CREATE TRIGGER message_search_update_new AFTER UPDATE OF body, flag, direction ON messages WHEN ${searchable('new')} BEGIN
    INSERT INTO message_search(rowid, body) VALUES (-new.rowid, new.body);
  END;

  ALTER TABLE conversations ADD COLUMN muted_until INTEGER;
  ALTER TABLE conversations ADD COLUMN pinned_at INTEGER;
  ALTER TABLE conversations ADD COLUMN archived_at INTEGER;
  ALTER TABLE conversations ADD COLUMN draft TEXT;
  ALTER TABLE conversations ADD COLUMN draft_updated_at INTEGER;
  CREATE TRIGGER chat_unarchive AFTER INSERT ON messages WHEN new.direction = 'in' BEGIN
    UPDATE conversations SET archived_at = NULL WHERE id = new.conversation_id AND archived_at IS NOT NULL
      AND (muted_until IS NULL OR muted_until <= new.received_at);
  END;`;
