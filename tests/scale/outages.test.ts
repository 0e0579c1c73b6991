// A cluster's dependencies going away and coming back: a PostgreSQL restart gives clear 503s (store_unavailable
// for requests, not_ready on /readyz) and then everything works again without restarting the nodes; a NATS outage
// takes the nodes out of readiness and, once the bus is back, cross-node delivery resumes (and what was queued
// meanwhile arrives). Real parley-server processes; skips where PostgreSQL or nats-server is missing (never in CI).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../server/helpers.ts';
import { missing, startNats } from '../support/services.ts';
import { waitFor } from '../support/wait-for.ts';
import { registerAt, send1to1, Socket, startCluster, type Cluster, type Device, type RelayNode } from './cluster.ts';

const skip = missing('postgres') ?? missing('nats');
let cluster: Cluster;
let A: RelayNode;
let B: RelayNode;
let alice: Device;
let bob: Device;

before(async () => {
  if (skip) return;
  cluster = await startCluster(['A', 'B']);
  [A, B] = cluster.nodes as [RelayNode, RelayNode];
  alice = await registerAt(cluster, A, 'alice');
  bob = await registerAt(cluster, B, 'bob');
});
after(async () => { await cluster?.close(); });

const ready = async (node: RelayNode) => (await api(node.url, 'GET', '/readyz')).status === 200;

test('a PostgreSQL restart: requests fail with 503 store_unavailable, /readyz says not ready, then both recover', { skip }, async () => {
  const b = await Socket.open(B, bob);
  try {
    assert.equal(await send1to1(A, alice, bob, 'before the restart'), 200);
    await b.untilText('before the restart');
    await cluster.pg.stop();
    const refused = await api(A.url, 'POST', '/v1/messages', {
      auth: alice.auth, body: { recipient: bob.userId, envelopes: [] },
    });
    assert.equal(refused.status, 503);
    assert.equal(refused.error?.code, 'store_unavailable');
    assert.match(refused.error!.message, /cannot reach its database/);
    const notReady = await api(A.url, 'GET', '/readyz');
    assert.equal(notReady.status, 503);
    assert.equal(notReady.error?.code, 'not_ready');
    assert.match(notReady.error!.message, /the postgres store does not answer/);
    assert.equal((await api(A.url, 'GET', '/healthz')).status, 200, 'the process itself is fine');
    await cluster.pg.start();
    await waitFor(async () => await ready(A) && await ready(B), { what: 'both nodes ready again', timeoutMs: 20_000 });
    assert.equal(await send1to1(A, alice, bob, 'after the restart'), 200);
    await b.untilText('after the restart');
    assert.equal(A.proc.exitCode, null, 'node A never exited');
  } finally {
    await b.close();
  }
});

test('a NATS outage: nodes are not ready; after it, cross-node delivery resumes and nothing queued meanwhile is lost', { skip }, async () => {
  const b = await Socket.open(B, bob);
  try {
    const port = cluster.nats.port;
    await cluster.nats.stop();
    await waitFor(async () => !await ready(A) && !await ready(B), { what: 'both nodes not ready without the bus' });
    const notReady = await api(B.url, 'GET', '/readyz');
    assert.match(notReady.error!.message, /delivery bus \(NATS\) is disconnected/);
    // Sending still works (the store is the queue); the notification to node B is what the outage loses.
    assert.equal(await send1to1(A, alice, bob, 'during the outage'), 200);
    cluster.nats = await startNats(port);
    await waitFor(async () => await ready(A) && await ready(B), { what: 'both nodes ready again', timeoutMs: 20_000 });
    // Node B re-read its queues when the bus came back.
    await b.untilText('during the outage');
    assert.equal(await send1to1(A, alice, bob, 'after the outage'), 200);
    await b.untilText('after the outage');
  } finally {
    await b.close();
  }
});
