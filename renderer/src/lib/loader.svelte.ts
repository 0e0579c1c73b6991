// Data that a screen loads (and may refresh): the last good answer, whether a load is under way, and the
// error of the last failed one. A failed refresh keeps the data shown before.
import { messageOf } from './api.ts';

export class Loader<T> {
  /** The last good answer; null until the first load succeeds. */
  data = $state<T | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  loaded = $derived(this.data !== null);

  readonly #fetch: () => Promise<T>;
  readonly #failure: string;

  /** `failure` starts the error text, e.g. "Couldn't load the groups". */
  constructor(fetch: () => Promise<T>, failure: string) {
    this.#fetch = fetch;
    this.#failure = failure;
  }

  /** Loads unless a load is under way already. */
  load = async (): Promise<void> => {
    if (this.loading) return;
    this.loading = true;
    try {
      this.data = await this.#fetch();
      this.error = null;
    } catch (err) {
      this.error = `${this.#failure}: ${messageOf(err)}`;
    } finally {
      this.loading = false;
    }
  };
}
