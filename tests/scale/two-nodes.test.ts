// Two relay nodes (real parley-server processes) on one PostgreSQL and one NATS bus: people connected to
// different nodes talk live, an admin action on one node reaches a socket on the other, group sends and
// group changes fan out across both, the newest socket of a device wins wherever it is, and a node killed
// mid-stream loses nothing. Skips with the reason where PostgreSQL or nats-server is missing (never under CI).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_REPLACED, CLOSE_WIPED } from '../../common/close-codes.ts';
import { api } from '../server/helpers.ts';
import { missing } from '../support/services.ts';
import { envelopesFor, registerAt, send1to1, Socket, startCluster, type Cluster, type Device, type RelayNode } from './cluster.ts';

const skip = missing('postgres') ?? missing('nats');
let cluster: Cluster;
let A: RelayNode;
let B: RelayNode;
let alice: Device;
let bob: Device;
let carol: Device; // an org admin (the dev IdP puts her in parley-admins)

before(async () => {
  if (skip) return;
  cluster = await startCluster(['A', 'B']);
  [A, B] = cluster.nodes as [RelayNode, RelayNode];
  // Registered through either node: any node answers any request.
  alice = await registerAt(cluster, A, 'alice');
  bob = await registerAt(cluster, B, 'bob');
  carol = await registerAt(cluster, A, 'carol');
});
after(async () => { await cluster?.close(); });

test('both nodes are ready: /readyz checks the PostgreSQL store and the NATS bus', { skip }, async () => {
  for (const node of [A, B]) {
    const res = await api(node.url, 'GET', '/readyz');
    assert.deepEqual([res.status, res.body], [200, { ok: true, store: 'postgres', bus: 'nats' }], node.name);
  }
});

test('alice on node A and bob on node B exchange messages live', { skip }, async () => {
  const a = await Socket.open(A, alice);
  const b = await Socket.open(B, bob);
  try {
    assert.equal(await send1to1(A, alice, bob, 'hello bob, from A'), 200);
    await b.untilText('hello bob, from A');
    assert.equal(await send1to1(B, bob, alice, 'hi alice, from B'), 200);
    await a.untilText('hi alice, from B');
    // Any node answers any request: alice sends through B, bob (on B) gets it; and the other way round.
    assert.equal(await send1to1(B, alice, bob, 'via B'), 200);
    await b.untilText('via B');
    assert.equal(await send1to1(A, bob, alice, 'via A'), 200);
    await a.untilText('via A');
  } finally {
    await a.close();
    await b.close();
  }
});

test('a message sent through node A reaches a socket on node B about as fast as one sent through B itself', { skip }, async () => {
  const b = await Socket.open(B, bob);
  const timed = async (via: RelayNode, n: number) => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const text = `latency ${via.name} ${i}`;
      const t0 = performance.now();
      assert.equal(await send1to1(via, alice, bob, text), 200);
      await b.untilText(text);
      ms.push(performance.now() - t0);
    }
    return ms.sort((x, y) => x - y)[Math.floor(n / 2)]!;
  };
  try {
    await timed(A, 5); // warm both paths
    await timed(B, 5);
    const local = await timed(B, 25);
    const remote = await timed(A, 25);
    // The bus adds one loopback hop; on a busy 2-core machine only a loose bound is fair.
    assert.ok(remote < Math.max(local * 3, local + 50), `median send → delivered: ${remote.toFixed(1)} ms through A vs ${local.toFixed(1)} ms through B`);
  } finally {
    await b.close();
  }
});

test("a device's newest socket holds its delivery: connecting on B closes the older socket on A", { skip }, async () => {
  const onA = await Socket.open(A, alice);
  const onB = await Socket.open(B, alice);
  assert.equal(await onA.closed, CLOSE_REPLACED);
  assert.equal(await send1to1(A, bob, alice, 'to the newest socket'), 200);
  await onB.untilText('to the newest socket');
  assert.ok(!onA.texts.includes('to the newest socket'));
  await onB.close();
});

test('a group send fans out across both nodes, and group changes reach members on either node', { skip }, async () => {
  const a = await Socket.open(A, alice);
  const b = await Socket.open(B, bob);
  const c = await Socket.open(B, carol);
  try {
    const created = await api(A.url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: 'Across nodes', members: [carol.userId] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const groupId = created.body.id as string;
    await c.until((f) => f.some((x) => x.type === 'group-changed'), 'carol (on B) told of the new group');
    // alice adds bob through node A; bob's socket is on node B.
    const added = await api(A.url, 'POST', `/v1/groups/${groupId}/members`, { auth: alice.auth, body: { userId: bob.userId } });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    await b.until((f) => f.some((x) => x.type === 'group-changed' && (x as { group: string }).group === groupId), 'bob (on B) told he was added');
    const sent = await api(A.url, 'POST', `/v1/groups/${groupId}/messages`, { auth: alice.auth, body: { envelopes: envelopesFor([bob, carol], 'to the group') } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    await b.untilText('to the group');
    await c.untilText('to the group');
    // And from node B to a member on node A.
    const back = await api(B.url, 'POST', `/v1/groups/${groupId}/messages`, { auth: bob.auth, body: { envelopes: envelopesFor([alice, carol], 'group reply') } });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    await a.untilText('group reply');
    await c.untilText('group reply');
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

test('a wipe issued on node A reaches the device on node B within seconds', { skip }, async () => {
  const dave = await registerAt(cluster, B, 'dave');
  const d = await Socket.open(B, dave);
  const t0 = Date.now();
  const res = await api(A.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { userId: dave.userId, deviceId: dave.deviceId, reason: 'laptop stolen' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await d.until((f) => f.some((x) => x.type === 'wipe'), 'the wipe frame on node B', 5_000);
  assert.equal(await d.closed, CLOSE_WIPED);
  assert.ok(Date.now() - t0 < 5_000);
  const again = await api(B.url, 'GET', '/v1/devices/me', { auth: dave.auth });
  assert.equal(again.error?.code, 'device_wiped', 'node B refuses the wiped credential too');
});

// Last: it kills node A.
test('killing node A mid-stream loses nothing: alice reconnects to node B and her queue is intact', { skip }, async () => {
  let socket = await Socket.open(A, alice);
  const accepted: string[] = [];
  let stop = false;
  // bob streams to alice through node B, one send after the other, while node A is killed under alice's socket.
  const stream = (async () => {
    for (let i = 0; !stop; i++) {
      const text = `stream ${i}`;
      if (await send1to1(B, bob, alice, text) === 200) accepted.push(text);
    }
  })();
  await socket.until(() => socket.texts.filter((t) => t.startsWith('stream ')).length >= 20, 'the stream flowing to alice on A');
  await A.kill();
  const code = await socket.closed;
  assert.notEqual(code, 1000, 'the socket died with its node');
  const before = socket.texts;
  socket = await Socket.open(B, alice);
  await socket.until(() => socket.texts.filter((t) => t.startsWith('stream ')).length >= 20, 'the stream flowing to alice on B');
  stop = true;
  await stream;
  const last = accepted.at(-1)!;
  await socket.untilText(last);
  const received = new Set([...before, ...socket.texts]);
  const lost = accepted.filter((t) => !received.has(t));
  assert.deepEqual(lost, [], `${accepted.length} accepted, ${lost.length} lost`);
  await socket.close();
});
