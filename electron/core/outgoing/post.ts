// Posting a send when the network drops: a request whose response was lost may still have reached the
// server, so it is retried byte for byte (the same envelopes, never re-encrypted: a new encryption would be
// a second message), a few times with a short backoff. Receivers drop a second copy by its message id. A
// server that asks us to slow down (429, e.g. bundle fetches) is retried after the time it names, within
// reason. Key-bundle fetches go through here too.
import { ApiError, NetworkError } from '../net/api.ts';

const BACKOFF_MS = [250, 1000];
const MAX_RETRY_AFTER_MS = 10_000;

function retryDelay(err: unknown, attempt: number): number | undefined {
  if (attempt >= BACKOFF_MS.length) return undefined;
  if (err instanceof NetworkError) return BACKOFF_MS[attempt];
  if (err instanceof ApiError && err.status === 429) {
    const asked = (err.body as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    const ms = typeof asked === 'number' && Number.isFinite(asked) && asked >= 0 ? asked : BACKOFF_MS[attempt]!;
    return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
  }
  return undefined;
}

export async function postWithRetry<T>(post: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await post();
    } catch (err) {
      const wait = retryDelay(err, i);
      if (wait === undefined) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
