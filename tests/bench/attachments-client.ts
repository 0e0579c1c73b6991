// One side of the attachment benchmark (tests/bench/attachments.ts) in a process of its own, so its peak RSS
// (VmHWM) is the client's alone:
//   send PROFILE EMAIL FILE   encrypt + upload (timed), then send the message and grant the recipients
//   fetch PROFILE DIR         receive, then download + verify (timed) and decrypt into DIR (timed)
// Prints one JSON line.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Messenger, type ReceivedMessage } from '../../electron/core/messenger.ts';

const peakRss = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;

async function main(): Promise<void> {
  const [mode, profile, a, b] = process.argv.slice(2);
  const m = await Messenger.open(profile!);
  try {
    if (mode === 'send') {
      const t0 = performance.now();
      const pointer = await m.attachments.upload({ path: b! });
      const uploadMs = performance.now() - t0;
      const sent = await m.send({ email: a! }, { attachments: [pointer] });
      console.log(JSON.stringify({ uploadMs, size: pointer.size, sha256: pointer.sha256, messageId: sent.messageId, peakRss: peakRss() }));
    } else if (mode === 'fetch') {
      const got: ReceivedMessage[] = [];
      await m.receive({ onMessage: (x) => got.push(x), receipts: false });
      const msg = got.find((x) => x.attachments.length > 0);
      if (!msg) throw new Error('no message with a file arrived');
      const t0 = performance.now();
      await m.attachments.download(msg.messageId);
      const t1 = performance.now();
      const saved = await m.attachments.saveInto(msg.messageId, 0, a!);
      const t2 = performance.now();
      console.log(JSON.stringify({ downloadMs: t1 - t0, decryptMs: t2 - t1, size: saved.size, sha256: saved.sha256, path: saved.path, peakRss: peakRss() }));
    } else throw new Error(`unknown mode ${mode}`);
  } finally {
    m.close();
  }
}

main().catch((err: Error) => { console.error(err.stack ?? err.message); process.exit(1); });
