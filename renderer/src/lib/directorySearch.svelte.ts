// Searching the company directory as one types (the sidebar search, the people pickers): the query, a pause
// before each search, the answers (a late answer to an older query is dropped), and arrow-key movement between
// the search field and the buttons of the result list.
import { call, messageOf } from './api.ts';
import type { DirectoryPerson } from './api.ts';

/** How long typing must pause before a search (ms). */
const DELAY = 200;

export class DirectorySearch {
  query = $state('');
  /** What the last finished search found. */
  found = $state<DirectoryPerson[]>([]);
  /** The query `found` answers ('' before any). */
  searched = $state('');
  searching = $state(false);
  error = $state<string | null>(null);
  /** Bind the search field and the result list here. */
  input = $state<HTMLInputElement>();
  list = $state<HTMLUListElement>();

  #timer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;

  /** The query changed: search after a pause (an empty query clears the results). */
  changed = (): void => {
    clearTimeout(this.#timer);
    const q = this.query.trim().slice(0, 100);
    this.error = null;
    if (!q) {
      this.#reset();
      return;
    }
    this.searching = true;
    this.#timer = setTimeout(() => void this.#run(q), DELAY);
  };

  /** Empties the field and forgets the results and any search under way. */
  clear(): void {
    clearTimeout(this.#timer);
    this.query = '';
    this.#reset();
    this.error = null;
  }

  /** Stops a pending search (when the component goes away). */
  dispose(): void {
    clearTimeout(this.#timer);
  }

  #reset(): void {
    this.#seq++;
    this.found = [];
    this.searched = '';
    this.searching = false;
  }

  async #run(q: string): Promise<void> {
    const mine = ++this.#seq;
    try {
      const list = await call('directory.search', { query: q });
      if (mine !== this.#seq) return;
      this.found = list;
      this.searched = q;
    } catch (err) {
      if (mine !== this.#seq) return;
      this.found = [];
      this.error = `Directory search failed: ${messageOf(err)}`;
    } finally {
      if (mine === this.#seq) this.searching = false;
    }
  }

  #buttons(): HTMLButtonElement[] {
    return this.list ? [...this.list.querySelectorAll<HTMLButtonElement>('button')] : [];
  }

  /** In the search field: the down arrow moves to the first result. */
  fieldKeydown(e: KeyboardEvent): void {
    const first = e.key === 'ArrowDown' ? this.#buttons()[0] : undefined;
    if (first) {
      e.preventDefault();
      first.focus();
    }
  }

  /** On a result: the arrows move through the list and back up to the field; Escape runs `onescape` if given. */
  resultKeydown = (e: KeyboardEvent, onescape?: () => void): void => {
    const list = this.#buttons();
    const i = list.indexOf(e.currentTarget as HTMLButtonElement);
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      list[Math.min(i + 1, list.length - 1)]?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      if (i <= 0) this.input?.focus();
      else list[i - 1]?.focus();
    } else if (e.key === 'Escape' && onescape) {
      e.preventDefault();
      onescape();
    }
  };
}
