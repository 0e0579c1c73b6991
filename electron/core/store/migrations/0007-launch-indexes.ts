// Indexes for what runs at every launch and every send, so none of it reads the whole messages table (with
// 100,000 messages one such read cost 0.1–0.3 s, on the event loop the UI and the receive loop share):
// - messages_pending: our 1:1 messages not sent yet ('queued' offline, 'waiting' for a first device), read by
//   the outbox at each connection and before each send (LocalStore.waitingMessages). Partial: almost empty.
// - messages_with_files: messages that carry files, read by the attachment sweep at launch. Partial.
// SQLite uses a partial index only for a query whose WHERE repeats the index's terms: keep them in step.
export const migration = `
  CREATE INDEX messages_pending ON messages (sent_at, seq) WHERE status IN ('waiting', 'queued') AND direction = 'out';
  CREATE INDEX messages_with_files ON messages (id) WHERE attachments IS NOT NULL;`;
