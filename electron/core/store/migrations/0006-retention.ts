// Retention and disappearing messages (electron/core/retention/).
// - expires_at is armed in the store itself for every message stored with a timer (expires_in, seconds), from
//   whatever path stored it (sent, received, our other device's copy): received_at + expires_in, i.e. the
//   timer starts when the message is sent (on the sender's devices) or arrives (on the others'), by this
//   device's clock, never by a sender's claimed time. A timer above the org's maximum (meta retentionRules,
//   from the policy) is cut to it first: the receiving side clamps, whatever the sender's client did.
// - indexes for the two purges: due timers (partial: most messages have none) and age (org messagesDays).
export const migration = `
  CREATE INDEX messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;
  CREATE INDEX messages_age ON messages (received_at);
  CREATE TRIGGER messages_arm_expiry AFTER INSERT ON messages WHEN new.expires_in IS NOT NULL AND new.expires_at IS NULL BEGIN
    UPDATE messages SET
      expires_in = min(new.expires_in, coalesce((SELECT json_extract(value, '$.maxDisappearingSeconds') FROM meta WHERE key = 'retentionRules'), new.expires_in)),
      expires_at = new.received_at + 1000 * min(new.expires_in,
        coalesce((SELECT json_extract(value, '$.maxDisappearingSeconds') FROM meta WHERE key = 'retentionRules'), new.expires_in))
    WHERE id = new.id;
  END;`;
