// Posting a send when the network drops: a request whose response was lost may still have reached the
// server, so it is retried byte for byte (the same envelopes, never re-encrypted: a new encryption would be
// a second message), a few times with a short backoff. Receivers drop a second copy by its message id.
import { NetworkError } from '../net/api.ts';

const BACKOFF_MS = [250, 1000];

export async function postWithRetry<T>(post: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await post();
    } catch (err) {
      if (!(err instanceof NetworkError) || i >= BACKOFF_MS.length) throw err;
      await new Promise((r) => setTimeout(r, BACKOFF_MS[i]));
    }
  }
}
