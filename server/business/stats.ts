// Aggregate daily statistics for org admins, counted at relay time without surveillance (docs/security.md,
// "Business statistics"):
//   - messages relayed: a plain per-day total, incremented per accepted send — never per sender, recipient or pair;
//   - active users / devices / groups: per-day DISTINCT counts. While a day is open its members are a set
//     (stats_open); when the day closes the set becomes three numbers and is deleted;
//   - the admin sees only days' totals, and a figure below the k-anonymity threshold (default 5) is withheld (null),
//     so a small team's numbers cannot single anyone out.
// Counting is buffered in memory and written every few seconds (and at shutdown), so a send costs no extra
// write; each node dedupes the day's members it has already written.
import type { DailyStats } from '../../common/wire/business.ts';
import type { BusinessStore, DailyCounts } from '../store/types.ts';

export const DEFAULT_STATS_K = 5;
const FLUSH_MS = 5_000;
const DAY_MS = 86_400_000;

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** The first millisecond of the UTC day `ms` is in. */
const utcMidnight = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** Suppresses every figure below k; days with nothing are listed as zero (0 < k is withheld too). */
export function suppress(rows: DailyCounts[], days: string[], k: number): DailyStats[] {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const keep = (n: number) => (n >= k ? n : null);
  return days.map((day) => {
    const r = byDay.get(day);
    return {
      day,
      messagesRelayed: keep(r?.messagesRelayed ?? 0),
      activeDevices: keep(r?.activeDevices ?? 0),
      activeUsers: keep(r?.activeUsers ?? 0),
      groups: keep(r?.groups ?? 0),
    };
  });
}

/** The last `n` UTC days up to `now`'s, oldest first. */
export function lastDays(now: number, n: number): string[] {
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(utcDay(now - i * DAY_MS));
  return out;
}

export class StatsCounter {
  #day: string;
  /** Where #day starts and ends (ms): within, a send needs no date formatting (it was ~1% of a 1:1 send's server CPU). */
  #dayStarts: number;
  #dayEnds: number;
  #relayed = 0;
  #pending: Array<{ kind: 'u' | 'd' | 'g'; id: string }> = [];
  /** Members of #day already written by this node. */
  #seen = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(private readonly store: BusinessStore, private readonly now: () => number, private readonly onError: (err: Error) => void) {
    const t = now();
    this.#day = utcDay(t);
    this.#dayStarts = utcMidnight(t);
    this.#dayEnds = this.#dayStarts + DAY_MS;
  }

  #roll(): void {
    const t = this.now();
    if (t >= this.#dayStarts && t < this.#dayEnds) return;
    const day = utcDay(t);
    this.#dayStarts = utcMidnight(t);
    this.#dayEnds = this.#dayStarts + DAY_MS;
    if (day === this.#day) return;
    // The buffered figures belong to the day they happened on: written first, under the old day.
    this.#flushing = this.#flushing.then(() => this.#write(this.#day, this.#take()));
    this.#day = day;
    this.#seen.clear();
  }

  #take(): { relayed: number; members: Array<{ kind: 'u' | 'd' | 'g'; id: string }> } {
    const taken = { relayed: this.#relayed, members: this.#pending };
    this.#relayed = 0;
    this.#pending = [];
    return taken;
  }

  async #write(day: string, t: { relayed: number; members: Array<{ kind: 'u' | 'd' | 'g'; id: string }> }): Promise<void> {
    if (t.relayed === 0 && t.members.length === 0) return;
    try {
      await this.store.count(day, t.relayed, t.members);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => { this.#timer = undefined; void this.flush(); }, FLUSH_MS).unref();
  }

  #member(kind: 'u' | 'd' | 'g', id: string): void {
    const key = `${kind}:${id}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#pending.push({ kind, id });
  }

  /** An authenticated request of this device: the user and device were active today. */
  active(userId: string, deviceId: number): void {
    this.#roll();
    const before = this.#pending.length;
    this.#member('u', userId);
    this.#member('d', `${userId}.${deviceId}`);
    if (this.#pending.length !== before) this.#schedule();
  }

  /** One accepted send (1:1 or to a group). */
  relayed(groupId?: string): void {
    this.#roll();
    this.#relayed++;
    if (groupId !== undefined) this.#member('g', groupId);
    this.#schedule();
  }

  /** Writes what is buffered and closes the days before today. */
  flush(): Promise<void> {
    this.#roll();
    const day = this.#day;
    const t = this.#take();
    this.#flushing = this.#flushing.then(async () => {
      await this.#write(day, t);
      await this.store.closeDaysBefore(day).catch((err: Error) => this.onError(err));
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
