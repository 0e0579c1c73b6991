// A small pool of worker threads for the protocol work of a big fan-out (a group send to hundreds of devices:
// ~0.2 ms a device per steady encrypt, ~1.5 ms with X3DH, all CPU). Started lazily, reused across sends,
// unref'd while idle so a CLI process can exit, closed with the messenger. A worker that crashes, exits or
// does not answer in time fails its job (the caller encrypts in-process instead: nothing was written yet) and
// is replaced on the next job. If no worker can start at all, the pool says so once and stays off.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EncryptJob, FromWorker, TargetResult, ToWorker } from './encrypt-job.ts';

/** Set by build/cli/compile.mjs: where the compiled worker is, relative to this source file. */
declare const PARLEY_ENCRYPT_WORKER: string | undefined;

export interface EncryptPoolOptions {
  /** Fan-outs to at least this many devices go to the pool (default 64). */
  threshold?: number;
  /** Worker threads (default: available parallelism, at least 2). */
  size?: number;
  /** A job not answered in this time fails and its worker is replaced (default 60 s). */
  timeoutMs?: number;
  /** Workers not loaded in this time fail the job (default 60 s). */
  startTimeoutMs?: number;
  /** Wait for workers still loading (tests); by default a job that finds them loading runs in-process. */
  waitForStart?: boolean;
  /** Devices per job: a fan-out goes to the pool in pieces of this many (default 128; pooled-encrypt.ts says why). */
  piece?: number;
  /** Tests: told of each job posted to a worker (e.g. to terminate it mid-job). */
  onDispatch?: (worker: Worker) => void;
}

/** PARLEY_ENCRYPT_POOL_THRESHOLD=<n>: fan-outs from n devices use the pool, waiting for it to start (tests force the pool path through the CLI). */
export function poolOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptPoolOptions {
  const n = Number(env.PARLEY_ENCRYPT_POOL_THRESHOLD);
  return Number.isSafeInteger(n) && n >= 1 ? { threshold: n, waitForStart: true } : {};
}

/**
 * Where the worker entry is: the compiled CLI's (build/cli/compile.mjs sets PARLEY_ENCRYPT_WORKER), the .js
 * beside this module in the Electron main bundle, or under tsx (tests, `npm start`) the bootstrap beside it
 * that registers tsx in the worker and loads encrypt-worker.ts.
 */
export function workerEntry(): URL {
  if (typeof PARLEY_ENCRYPT_WORKER === 'string') return new URL(PARLEY_ENCRYPT_WORKER, import.meta.url);
  return new URL(import.meta.url.endsWith('.ts') ? './encrypt-worker-tsx.mjs' : './encrypt-worker.js', import.meta.url);
}

/** A stable worker per device (FNV-1a of its address), so that its worker still has its session record parsed. */
function workerFor(address: string, size: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
  return (h >>> 0) % size;
}

interface Pending { resolve: (r: TargetResult[]) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

class Slot {
  readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  isReady = false;
  dead = false;
  constructor(readonly worker: Worker, onDead: (slot: Slot, err: Error) => void) {
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        if ('ready' in msg) { this.isReady = true; if (this.pending.size === 0) worker.unref(); resolve(); return; }
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.settle(msg.id);
        if ('failed' in msg) p.reject(new Error(`encrypt worker: ${msg.failed}`)); else p.resolve(msg.results);
      });
      const die = (err: Error) => {
        if (this.dead) return;
        this.dead = true;
        reject(err);
        for (const [id, p] of this.pending) { this.settle(id); p.reject(err); }
        onDead(this, err);
      };
      worker.on('error', die);
      worker.on('exit', (code) => die(new Error(`encrypt worker exited (code ${code})`)));
    });
    // Kept referenced while it loads (a job is about to come), unref'd whenever it has nothing to do.
    this.ready.catch(() => undefined);
  }
  private settle(id: number): void {
    clearTimeout(this.pending.get(id)?.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }
  post(id: number, job: EncryptJob, timeoutMs: number): Promise<TargetResult[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`encrypt worker did not answer within ${timeoutMs} ms`));
        void this.worker.terminate(); // its exit fails anything else it held, and the slot is replaced
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.ref(); // a job in flight keeps the process alive until it is answered
      this.worker.postMessage({ id, job } satisfies ToWorker);
    });
  }
}

export class EncryptPool {
  readonly threshold: number;
  readonly size: number;
  readonly piece: number;
  private readonly timeoutMs: number;
  private readonly slots: (Slot | undefined)[];
  private nextId = 1;
  private closed = false;
  /** No worker could start: the pool is off, and said so once. */
  private unavailable: string | undefined;
  /** Workers started so far (tests: a crashed one is replaced). */
  started = 0;

  constructor(private readonly opts: EncryptPoolOptions = {}, private readonly warn: (line: string) => void = () => {}) {
    this.threshold = opts.threshold ?? 64;
    this.size = Math.max(1, opts.size ?? Math.max(2, availableParallelism()));
    this.piece = Math.max(1, opts.piece ?? 128);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.slots = Array.from({ length: this.size }, () => undefined);
  }

  /** True when a fan-out to `devices` devices should go to the pool. */
  wants(devices: number): boolean {
    return !this.closed && this.unavailable === undefined && devices >= this.threshold;
  }

  /** Starts the workers now (a big fan-out is coming: loading them overlaps its key fetch). */
  warm(): void {
    if (this.closed || this.unavailable !== undefined) return;
    for (let i = 0; i < this.size; i++) this.slot(i);
  }

  private slot(i: number): Slot {
    const s = this.slots[i];
    if (s && !s.dead) return s;
    const created = new Slot(new Worker(workerEntry(), { name: `parley-encrypt-${i}` }), (dead, err) => {
      if (this.slots[i] === dead) this.slots[i] = undefined;
      // Gone before it was ever ready: not a crash mid-job but a worker that cannot load. In-process from now on.
      if (!dead.isReady && !this.closed && this.unavailable === undefined) {
        this.unavailable = err.message;
        this.warn(`note: encrypting in this process only (the encrypt workers cannot start: ${err.message})`);
      }
    });
    this.started++;
    this.slots[i] = created;
    return created;
  }

  /**
   * Runs the job split over the workers; the results are in target order. A device always goes to the same
   * worker, which keeps its parsed session record for the next message. Rejects when any part fails (a worker
   * crashed, exited or timed out): the caller then does the whole job in-process.
   */
  async run(job: EncryptJob): Promise<TargetResult[]> {
    if (this.closed) throw new Error('encrypt pool is closed');
    const parts: number[][] = Array.from({ length: this.size }, () => []);
    job.targets.forEach((t, i) => parts[workerFor(`${t.userId}/${t.deviceId}`, this.size)]!.push(i));
    const used = parts.map((idx, i) => [idx, i] as const).filter(([idx]) => idx.length > 0);
    const slots = used.map(([, i]) => this.slot(i));
    // A send never waits for cold workers (loading and warming up takes longer than the work): in-process this time.
    if (!this.opts.waitForStart && !slots.every((s) => s.isReady)) throw new Error('encrypt workers are still starting');
    try {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        const ms = this.opts.startTimeoutMs ?? 60_000;
        timer = setTimeout(() => reject(new Error(`encrypt worker did not start within ${ms} ms`)), ms);
      });
      await Promise.race([Promise.all(slots.map((s) => s.ready)), late]).finally(() => clearTimeout(timer));
    } catch (err) {
      if (!slots.every((s) => s.isReady) && this.unavailable === undefined) {
        this.unavailable = err instanceof Error ? err.message : String(err);
        this.warn(`note: encrypting in this process only (the encrypt workers cannot start: ${this.unavailable})`);
      }
      throw err;
    }
    const answers = await Promise.all(slots.map((s, k) => {
      const done = s.post(this.nextId++, { ...job, targets: used[k]![0].map((i) => job.targets[i]!) }, this.timeoutMs);
      this.opts.onDispatch?.(s.worker);
      return done;
    }));
    const out: TargetResult[] = new Array(job.targets.length);
    answers.forEach((a, k) => {
      const idx = used[k]![0];
      if (a.length !== idx.length) throw new Error('encrypt worker answered for a different number of devices');
      idx.forEach((i, j) => { out[i] = a[j]!; });
    });
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    const live = this.slots.filter((s): s is Slot => s !== undefined);
    this.slots.fill(undefined);
    await Promise.all(live.map((s) => s.worker.terminate()));
  }
}
