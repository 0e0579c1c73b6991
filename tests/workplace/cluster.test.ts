// Held delivery across two relay nodes (real parley-server processes on one PostgreSQL and one NATS bus): a
// message held for bob (off work) is released by node A when bob's new hours put him at work, and reaches his
// socket on node B through the bus — once. Skips with the reason where PostgreSQL or nats-server is missing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api } from '../server/helpers.ts';
import { missing } from '../support/services.ts';
import { envelopesFor, registerAt, Socket, startCluster, type Cluster, type Device, type RelayNode } from '../scale/cluster.ts';

const skip = missing('postgres') ?? missing('nats');
const hhmm = (min: number) => { const m = ((min % 1440) + 1440) % 1440; return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`; };
const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** Minutes since midnight UTC when the test starts: the org's hour begins two hours later, so everyone is off now. */
const nowMin = new Date().getUTCHours() * 60 + new Date().getUTCMinutes();

let cluster: Cluster;
let A: RelayNode;
let B: RelayNode;
let alice: Device;
let bob: Device;
let dir: string;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'parley-workplace-cluster-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({
    text: 'Use Parley for work.', rules: { workingHours: { timeZone: 'UTC', days: ALL_DAYS, start: hhmm(nowMin + 120), end: hhmm(nowMin + 180) } },
  }));
  cluster = await startCluster([]);
  A = await cluster.startNode('A', ['--policy-file', policyFile]);
  B = await cluster.startNode('B', ['--policy-file', policyFile]);
  alice = await registerAt(cluster, A, 'alice');
  bob = await registerAt(cluster, B, 'bob');
  const { version } = (await api(A.url, 'GET', '/v1/policy')).body as { version: string };
  for (const [node, d] of [[A, alice], [B, bob]] as const) {
    const res = await api(node.url, 'POST', '/v1/consent', { auth: d.auth, body: { version } });
    assert.equal(res.status, 200);
  }
});
after(async () => {
  await cluster?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a held message is released on node A by bob\'s change of hours and reaches his socket on node B', { skip }, async () => {
  const b = await Socket.open(B, bob);
  try {
    const sent = await api(A.url, 'POST', '/v1/messages', { auth: alice.auth, body: { recipient: bob.userId, envelopes: envelopesFor([bob], 'held across nodes') } });
    assert.equal(sent.status, 200);
    assert.ok(sent.body.heldUntil?.[bob.userId] > Date.now(), 'held until his working hour starts');

    // His own hour, shifted to now (as long as the org's): he is at work, the held message is released at once.
    const shifted = await api(A.url, 'PUT', '/v1/me/working-hours', {
      auth: bob.auth, body: { timeZone: 'UTC', days: ALL_DAYS, start: hhmm(nowMin - 30), end: hhmm(nowMin + 30) },
    });
    assert.equal(shifted.status, 200, JSON.stringify(shifted.body));
    assert.equal(shifted.body.offUntil, undefined);
    await b.untilText('held across nodes');
    assert.equal(b.texts.filter((t: string) => t === 'held across nodes').length, 1, 'released once');
  } finally {
    await b.close();
  }
});
