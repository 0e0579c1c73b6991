// Stopping a child process in tests and benchmarks. A child killed by a signal keeps `exitCode` null (the signal
// is in `signalCode`), so "exitCode !== null" alone took such a child for running and waited for an 'exit' that
// had already been emitted (the bench's relay-cluster section, which stops its nodes twice, could hang for good).
import type { ChildProcess } from 'node:child_process';

/** The child has exited, with a code or by a signal. */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends `signal` unless the child has exited, and resolves once it has (at once if it already had). */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (hasExited(child)) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
