// Registration nonces and single-use ID-token records (server/auth.ts admitRegistrationToken). Each decision
// is one statement, so two nodes racing for the same nonce or token cannot both win.
import type { RegistrationStore } from '../types.ts';
import { LOCK, num, type Pg } from './sql.ts';

export class PgRegistrationStore implements RegistrationStore {
  constructor(private readonly q: Pg) {}

  async createNonce(nonce: string, expiresAt: number, limit?: { now: number; max: number }): Promise<boolean> {
    if (!limit) {
      await this.q.run('INSERT INTO registration_nonces (nonce, expires_at) VALUES ($1, $2)', [nonce, expiresAt]);
      return true;
    }
    // The cap holds across nodes: the sweep, the count and the insert under the NONCES lock.
    return this.q.write(async () => {
      await this.q.run('DELETE FROM registration_nonces WHERE expires_at <= $1', [limit.now]);
      if (num((await this.q.row('SELECT count(*) AS n FROM registration_nonces'))!.n) >= limit.max) return false;
      await this.q.run('INSERT INTO registration_nonces (nonce, expires_at) VALUES ($1, $2)', [nonce, expiresAt]);
      return true;
    }, [LOCK.nonces]);
  }

  async consumeNonce(nonce: string, now: number): Promise<boolean> {
    const used = await this.q.run('DELETE FROM registration_nonces WHERE nonce = $1 AND expires_at > $2', [nonce, now]) === 1;
    // Expired nonces are garbage; sweep them while we are here.
    await this.q.run('DELETE FROM registration_nonces WHERE expires_at <= $1', [now]);
    return used;
  }

  async useTokenOnce(tokenHash: Uint8Array, expiresAt: number, now: number): Promise<boolean> {
    // A record that has expired counts as absent: it is taken over (first use again).
    const first = await this.q.run(
      `INSERT INTO used_id_tokens (token_hash, expires_at) VALUES ($1, $2)
       ON CONFLICT (token_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE used_id_tokens.expires_at <= $3`,
      [tokenHash, expiresAt, now],
    ) === 1;
    await this.q.run('DELETE FROM used_id_tokens WHERE expires_at <= $1', [now]);
    return first;
  }
}
