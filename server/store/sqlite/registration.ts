// Registration nonces and single-use ID-token records (server/auth.ts admitRegistrationToken).
import type { RegistrationStore } from '../types.ts';
import { num, type Sql } from './sql.ts';

export class SqliteRegistrationStore implements RegistrationStore {
  constructor(private readonly q: Sql) {}

  createNonce(nonce: string, expiresAt: number, limit?: { now: number; max: number }): Promise<boolean> {
    return this.q.write(() => {
      if (limit) {
        this.q.run('DELETE FROM registration_nonces WHERE expires_at <= $now', { now: limit.now });
        if (num(this.q.get('SELECT count(*) AS n FROM registration_nonces')!.n) >= limit.max) return false;
      }
      this.q.run('INSERT INTO registration_nonces (nonce, expires_at) VALUES ($nonce, $expiresAt)', { nonce, expiresAt });
      return true;
    });
  }

  consumeNonce(nonce: string, now: number): Promise<boolean> {
    return this.q.write(() => {
      // Expired nonces are garbage; sweep them while we are here.
      this.q.run('DELETE FROM registration_nonces WHERE expires_at <= $now', { now });
      return this.q.run('DELETE FROM registration_nonces WHERE nonce = $nonce', { nonce }).changes === 1;
    });
  }

  useTokenOnce(tokenHash: Uint8Array, expiresAt: number, now: number): Promise<boolean> {
    return this.q.write(() => {
      this.q.run('DELETE FROM used_id_tokens WHERE expires_at <= $now', { now });
      return this.q.run(
        'INSERT INTO used_id_tokens (token_hash, expires_at) VALUES ($hash, $expiresAt) ON CONFLICT (token_hash) DO NOTHING',
        { hash: tokenHash, expiresAt },
      ).changes === 1;
    });
  }
}
