// Real PostgreSQL 15 and nats-server for tests, started on 127.0.0.1 with data in a temp dir and stopped
// after. PostgreSQL refuses to run as root, so as root its commands run as the `postgres` OS user.
// Where a service is not installed, tests skip with the reason — except under CI (`CI=1`), where a
// missing service is an error: CI installs them (.ci/run).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './child.ts';
import { waitForLine } from './wait-for.ts';

const PG_BIN = process.env.PARLEY_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const NATS_BIN = process.env.PARLEY_NATS_BIN ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : '/usr/bin/nats-server');

/** Why a service cannot run here, or undefined when it can. Under CI a missing service throws instead. */
export function missing(service: 'postgres' | 'nats'): string | undefined {
  const ok = service === 'postgres' ? existsSync(join(PG_BIN, 'postgres')) : existsSync(NATS_BIN);
  if (ok) return undefined;
  const why = service === 'postgres'
    ? `PostgreSQL 15 is not installed (${PG_BIN}/postgres); apt-get install postgresql`
    : `nats-server is not installed (${NATS_BIN}); apt-get install nats-server`;
  if (process.env.CI) throw new Error(`${why} — CI must install it (.ci/run)`);
  return why;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;
function pgUid(): { uid: number; gid: number } | undefined {
  if (!asRoot) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('running as root but there is no postgres OS user to run PostgreSQL as');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export interface Postgres {
  url: string;
  port: number;
  /** Stops the server (fast shutdown); start() brings it back on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

export async function startPostgres(): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  chmodSync(dir, 0o700);
  const owner = pgUid();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const spawnOpts = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const init = spawnSync(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'parley', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    { encoding: 'utf8', ...spawnOpts });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn(join(PG_BIN, 'postgres'),
      ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      { stdio: ['ignore', 'ignore', 'pipe'], ...spawnOpts });
    await waitForLine(proc.stderr!, /database system is ready to accept connections/, { timeoutMs: 60_000 });
    proc.stderr!.resume();
  };
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (p) await stopChild(p, 'SIGINT'); // fast shutdown
  };
  await start();
  const url = `postgres://parley@127.0.0.1:${port}/postgres`;
  return {
    url, port, start, stop,
    async destroy() { await stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

export interface Nats { url: string; port: number; stop(): Promise<void> }

/** nats-server on `port` (default: a free one; a given port brings a stopped bus back where nodes look for it). */
export async function startNats(port?: number): Promise<Nats> {
  port ??= await freePort();
  const proc = spawn(NATS_BIN, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForLine(proc.stderr!, /Server is ready/, { timeoutMs: 30_000 });
  proc.stderr!.resume();
  return {
    url: `nats://127.0.0.1:${port}`, port,
    stop: () => stopChild(proc),
  };
}
