// The one polling helper of the tests: waits for a condition (sync or async) and fails with what it waited
// for. Prefer waiting on a real signal (an event, a readiness line); poll only state that has no event.
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  opts: { timeoutMs?: number; what?: string; intervalMs?: number } = {},
): Promise<void> {
  const { timeoutMs = 10_000, what = 'condition', intervalMs = 25 } = opts;
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves with the first line of a child's stream that matches, or rejects when the stream ends first. */
export function waitForLine(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
  opts: { timeoutMs?: number } = {},
): Promise<string> {
  const { timeoutMs = 30_000 } = opts;
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err?: Error, line?: string) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (err) reject(err); else resolve(line!);
    };
    const onData = (chunk: Buffer | string) => {
      buf += chunk.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (pattern.test(l)) return done(undefined, l);
    };
    const onEnd = () => done(new Error(`stream ended before a line matched ${pattern}`));
    const timer = setTimeout(() => done(new Error(`no line matched ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}
