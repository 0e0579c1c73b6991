// Section: attachments. The real `parley-server` in its own process (--attachment-max-mib 1100), and each client
// side in a process of its own (tests/bench/attachments-client.ts) so the peak RSS (VmHWM) of each is its own.
// For a 10 MiB and a 1 GiB file: encrypt + upload (AES-256-CBC + HMAC-SHA256 streamed into POST
// /v1/attachments), then download + verify (digest and MAC) and decrypt to a file. Throughput in MB/s of
// plaintext; peak RSS of the sending client, the receiving client, and the server (sampled from /proc every
// 20 ms, and its VmHWM). Goal: a 1 GiB file keeps every RSS under 250 MB. Every child has a time limit.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loginNewDevice } from '../../electron/core/messenger.ts';
import type { SectionResult, Table, Goal } from './stats.ts';
import { startChild } from './relay-load.ts';

const SERVER_BIN = fileURLToPath(new URL('../../server/cli/parley-server.js', import.meta.url));
const CLIENT = fileURLToPath(new URL('./attachments-client.ts', import.meta.url));
const MIB = 1024 * 1024;
const LARGE_MIB = Number(process.env.PARLEY_BENCH_ATTACHMENT_MIB ?? 1024);
const SIZES = [10, LARGE_MIB];
/** A child that takes longer than this is stopped and its row says so: the section stays bounded in time. */
const CHILD_LIMIT_MS = 10 * 60_000;
const GOAL_BYTES = 250 * 1000 * 1000;

const status = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  try { return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024; } catch { return 0; }
};

function startServerChild(dataDir: string, logFile: string) {
  return startChild([SERVER_BIN, '--data', dataDir, '--port', '0', '--host', '127.0.0.1', '--dev-idp',
    '--attachment-max-mib', String(LARGE_MIB + 64), '--attachment-quota-mib', String(4 * (LARGE_MIB + 64))], logFile, 'parley-server');
}

/** Runs the client script; its JSON line, or an error naming what happened (time limit, exit code). */
function client(args: string[]): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!) as Record<string, number | string>);
      else reject(new Error(signal === 'SIGKILL' ? `stopped after ${CHILD_LIMIT_MS / 60_000} min` : `exited ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

/** A file of `mib` MiB (a random 16 MiB block repeated: the cipher's speed does not depend on the bytes). */
function makeFile(path: string, mib: number): void {
  const block = randomBytes(Math.min(16, mib) * MIB);
  const fd = openSync(path, 'w');
  try { for (let done = 0; done < mib * MIB; done += block.length) writeSync(fd, block, 0, Math.min(block.length, mib * MIB - done)); } finally { closeSync(fd); }
}

const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
const mb = (b: number) => (b / 1e6).toFixed(0);

export async function runAttachments(log: (line: string) => void): Promise<SectionResult> {
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-attach-'));
  const server = await startServerChild(join(root, 'server'), join(root, 'server.log'));
  const rows: string[][] = [];
  const goals: Goal[] = [];
  try {
    for (const [profile, user] of [['alice', 'alice'], ['bob', 'bob']] as const) {
      (await loginNewDevice(join(root, profile), server.url, { kind: 'dev-user', username: user })).close();
    }
    for (const size of SIZES) {
      const file = join(root, `file-${size}.bin`);
      makeFile(file, size);
      let serverPeak = status(server.pid, 'VmRSS');
      const sampler = setInterval(() => { serverPeak = Math.max(serverPeak, status(server.pid, 'VmRSS')); }, 20);
      try {
        log(`  ${size} MiB: encrypt + upload …`);
        const up = await client(['send', join(root, 'alice'), 'bob@acme.test', file]);
        log(`  ${size} MiB: download + decrypt …`);
        const down = await client(['fetch', join(root, 'bob'), join(root, `out-${size}`)]);
        if (down.sha256 !== up.sha256) throw new Error('the received file differs from the sent one');
        const bytes = size * MIB;
        const hwm = Math.max(serverPeak, status(server.pid, 'VmHWM'));
        rows.push([`${size} MiB`, mbps(bytes, Number(up.uploadMs)), mbps(bytes, Number(down.downloadMs)), mbps(bytes, Number(down.decryptMs)),
          mbps(bytes, Number(down.downloadMs) + Number(down.decryptMs)), mb(Number(up.peakRss)), mb(Number(down.peakRss)), mb(hwm)]);
        if (size === LARGE_MIB) {
          const worst = Math.max(Number(up.peakRss), Number(down.peakRss), hwm);
          goals.push({ goal: `Sending and receiving a ${size} MiB file: client and server RSS < 250 MB`, measured: `sender ${mb(Number(up.peakRss))} MB, receiver ${mb(Number(down.peakRss))} MB, server ${mb(hwm)} MB`, met: worst < GOAL_BYTES });
        }
      } catch (err) {
        rows.push([`${size} MiB`, `failed: ${(err as Error).message}`, '', '', '', '', '', '']);
        if (size === LARGE_MIB) goals.push({ goal: `Sending and receiving a ${size} MiB file: RSS < 250 MB`, measured: (err as Error).message, met: false });
      } finally {
        clearInterval(sampler);
        rmSync(file, { force: true });
        rmSync(join(root, `out-${size}`), { recursive: true, force: true });
      }
    }
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  const table: Table = {
    title: 'Attachments: streamed encryption and transfer (one run per size)',
    columns: ['file', 'encrypt + upload MB/s', 'download + verify MB/s', 'decrypt to file MB/s', 'download + decrypt MB/s', 'sender peak RSS MB', 'receiver peak RSS MB', 'server peak RSS MB'],
    rows,
    notes: ['MB = 10^6 bytes. Peak RSS: VmHWM of each client process; the server\'s highest VmRSS sampled every 20 ms during the run (or its VmHWM, whichever is higher, cumulative over the section).'],
  };
  return {
    tables: [table], goals, anchors: [],
    method: [
      `Attachments: parley-server (compiled bundle) in a child process with --attachment-max-mib ${LARGE_MIB + 64}; alice and bob signed in for real; each side runs in its own Node process (tests/bench/attachments-client.ts): alice encrypts + uploads the file (Messenger.attachments.upload, timed) and sends the message, bob receives it, downloads + verifies the ciphertext (timed) and decrypts it to a file (timed); sha256 compared end to end. Sizes ${SIZES.join(' and ')} MiB, one run each, every child stopped after ${CHILD_LIMIT_MS / 60_000} min (PARLEY_BENCH_ATTACHMENT_MIB changes the large size).`,
    ],
  };
}
