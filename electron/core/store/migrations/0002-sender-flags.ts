// A received message the client does not vouch for (see incoming/sender-check.ts), and the identity key
// it was decrypted under, so a later verification of exactly that key can release it.
export const migration = `ALTER TABLE messages ADD COLUMN flag TEXT CHECK (flag IN ('unlisted-device', 'held'));
   ALTER TABLE messages ADD COLUMN sender_key TEXT;`;
