// The shipped launchers of a relay node start Node with the relay's flags (server/cli/node-flags.ts), before the
// script: the flags the benchmarks measured are the flags operators get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RELAY_NODE_FLAGS } from '../../server/cli/node-flags.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

test('the systemd unit runs node with the relay flags before parley-server.js', () => {
  const exec = /^ExecStart=(.*)$/m.exec(read('build/deploy/parley-server.service'));
  assert.ok(exec, 'the unit has an ExecStart line');
  const words = exec[1]!.split(/\s+/);
  assert.equal(words[0], '/usr/bin/node');
  const script = words.findIndex((w) => w.endsWith('/server/cli/parley-server.js'));
  assert.ok(script > 0, 'ExecStart runs server/cli/parley-server.js');
  assert.deepEqual(words.slice(1, script), [...RELAY_NODE_FLAGS]);
});

test('the container entry point runs node with the relay flags before parley-server.js', () => {
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(read('build/deploy/Containerfile'));
  assert.ok(entry, 'the Containerfile has an ENTRYPOINT in exec form');
  const words = JSON.parse(entry[1]!) as string[];
  assert.equal(words[0], 'node');
  const script = words.indexOf('server/cli/parley-server.js');
  assert.ok(script > 0, 'the entry point runs server/cli/parley-server.js');
  assert.deepEqual(words.slice(1, script), [...RELAY_NODE_FLAGS]);
});
