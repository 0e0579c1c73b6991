// stopChild must not wait for an 'exit' that already happened, whether the child exited with a code or was
// killed by a signal (exitCode stays null then).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hasExited, stopChild } from './child.ts';

test('a child killed by a signal counts as exited, and stopping it again returns at once', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  assert.equal(hasExited(child), false);
  await stopChild(child, 'SIGKILL');
  assert.equal(child.exitCode, null, 'killed by a signal: no exit code');
  assert.equal(hasExited(child), true);
  await stopChild(child); // resolves: the test would time out on the old "exitCode !== null" check
});

test('a child that exited by itself is stopped at once; a running one is stopped and waited for', async () => {
  const done = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
  await once(done, 'exit');
  await stopChild(done);
  assert.equal(done.exitCode, 3);
  const running = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(running, 'spawn');
  await stopChild(running);
  assert.equal(hasExited(running), true);
  assert.equal(running.signalCode, 'SIGTERM');
});
