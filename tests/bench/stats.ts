// Shared helpers for the benchmark modules: timing, summary statistics, result shapes.
import { performance } from 'node:perf_hooks';

export const now = () => performance.now();

/** One table of the report: a header row and formatted cells. */
export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  /** Sentences printed under the table. */
  notes?: string[];
}

/** One of the goals, as measured in this run. */
export interface Goal {
  goal: string;
  measured: string;
  met: boolean;
}

/** What a section module returns. */
export interface SectionResult {
  tables: Table[];
  /** Goals this section measures (collected into the "Goals" table at the top of the report). */
  goals?: Goal[];
  /** One line per anchor comparison, collected into the "Anchors" section. */
  anchors: string[];
  /** Method notes for this section (warm-up, iterations, what is timed). */
  method: string[];
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile on a sorted copy. */
export function summarize(samples: number[]): Summary {
  if (samples.length === 0) throw new Error('no samples');
  const s = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return {
    n: s.length,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    p50: rank(50),
    p99: rank(99),
    min: s[0]!,
    max: s[s.length - 1]!,
  };
}

/** Milliseconds with a sensible number of digits. */
export function ms(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

/** Microseconds from milliseconds. */
export function us(vMs: number): string {
  const v = vMs * 1000;
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export const ratio = (a: number, b: number) => `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×`;

/** Times an async function once, in milliseconds. */
export async function timeAsync<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = now();
  const out = await fn();
  return [now() - t0, out];
}

/** Small deterministic PRNG (mulberry32) so both stores get identical rows. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
