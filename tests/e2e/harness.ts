// Real parts for end-to-end tests: the real server (with the real embedded oidc-provider) on a real
// socket, the real `parley` CLI in child processes, real SQLCipher profiles in temp dirs.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer, type ServerOptions } from '../../server/app.ts';
import { loginNewDevice, type Messenger, type MessengerOptions, type ReceivedMessage } from '../../electron/core/messenger.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'electron', 'cli', 'parley.js');

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `parley-${prefix}-`));

/**
 * Every device of these tests signs in from 127.0.0.1, so the per-address sign-in limit (20 at once, then one per
 * 3 s) is raised: a file that signs in 27 devices failed with 429 once it ran fast enough. That limit has its own
 * test (tests/security/server-nonce-flood.test.ts).
 */
const SIGN_INS = { nonceByIp: { burst: 1_000, perSecond: 100 } };

export function startDevServer(dataDir: string, port = 0, extra: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer({
    dataDir, port, host: '127.0.0.1', devIdp: true, logger: process.env.PARLEY_TEST_LOG ? { level: 'error' } : false, ...extra,
    rateLimits: { ...SIGN_INS, ...extra.rateLimits },
  });
}

/** A new in-process device signed in as dev-IdP `user`, its SQLCipher profile in `profileDir`; added to `open` so
 *  that the test's `after` closes it. */
export async function devDevice(open: Messenger[], profileDir: string, serverUrl: string, user: string, opts?: MessengerOptions): Promise<Messenger> {
  const m = await loginNewDevice(profileDir, serverUrl, { kind: 'dev-user', username: user }, opts);
  open.push(m);
  return m;
}

/** Receives everything waiting for `m` (sending read/delivery receipts unless `receipts` is false); the messages. */
export async function drain(m: Messenger, receipts = true): Promise<ReceivedMessage[]> {
  const got: ReceivedMessage[] = [];
  await m.receive({ onMessage: (x) => got.push(x), receipts });
  return got;
}

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Starts `parley <args>` as a child process, like a user or an admin's script would; `done` settles when it exits. */
export function startParley(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): { child: ChildProcessByStdio<null, Readable, Readable>; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT, env: { ...process.env, PARLEY_PROFILE: '', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`parley ${args.join(' ')} timed out\n${stderr}`)); }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
  return { child, done };
}

/** Runs `parley <args>` to the end. */
export function parley(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  return startParley(args, opts).done;
}

/** parley that must succeed; returns stdout. */
export async function ok(args: string[], opts?: Parameters<typeof parley>[1]): Promise<string> {
  const r = await parley(args, opts);
  if (r.code !== 0) throw new Error(`parley ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every file below `dir`, depth first, with its bytes. */
export function* filesUnder(dir: string): Generator<[path: string, bytes: Buffer]> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* filesUnder(p);
    else yield [p, readFileSync(p)];
  }
}

/** Every (file, needle) pair where the needle's bytes occur in a file below `dir` (UTF-8 and UTF-16LE). */
export function byteSearch(dir: string, needles: string[]): string[] {
  const hits: string[] = [];
  for (const [p, bytes] of filesUnder(dir)) {
    for (const n of needles) {
      if (bytes.includes(Buffer.from(n, 'utf8')) || bytes.includes(Buffer.from(n, 'utf16le'))) hits.push(`${p}: ${n}`);
    }
  }
  return hits;
}
