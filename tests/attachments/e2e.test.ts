// Files end to end through the real server, dev IdP and SQLCipher profiles: the core in-process (round trip,
// tampering, deletion after the last recipient device, memory while streaming) and the real `parley` CLI
// (--file, --download-dir, exit 2 for bad input with nothing sent).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readdirSync, truncateSync, writeSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { IntegrityError, Messenger } from '../../electron/core/messenger.ts';
import { devDevice, drain, filesUnder, jsonLines, parley, startDevServer, tempDir } from '../e2e/harness.ts';

const MIB = 1024 * 1024;
let server: RunningServer;
let root: string;
let serverDir: string;
const open: Messenger[] = [];

before(async () => {
  root = tempDir('attach');
  serverDir = join(root, 'server');
  server = await startDevServer(serverDir, 0, { attachments: { maxBytes: 80 * MIB, quotaBytes: 400 * MIB } });
});
after(async () => {
  for (const m of open) m.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const device = (profile: string, user: string) => devDevice(open, join(root, profile), server.url, user);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const blobs = () => readdirSync(join(serverDir, 'blobs'));

/** Every file under `dir` that contains one of the needles. */
function filesContaining(dir: string, needles: Buffer[]): string[] {
  const hits: string[] = [];
  for (const [p, bytes] of filesUnder(dir)) {
    for (const n of needles) if (bytes.includes(n)) hits.push(`${p} contains ${JSON.stringify(n.toString('latin1').slice(0, 20))}`);
  }
  return hits;
}

/** Waits until `cond` holds (the server records a fetch after the response finished), polling briefly. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

let alice: Messenger, bob: Messenger, bob2: Messenger, carol: Messenger;

test('a file round trip: same sha256 on both ends; the server never holds the plaintext or the file name; the blob goes after the last recipient device fetched it', async () => {
  alice = await device('alice', 'alice');
  bob = await device('bob', 'bob');
  bob2 = await device('bob2', 'bob');
  carol = await device('carol', 'carol');
  const fileName = 'Quarterly-forecast-SECRET-7f3a.pdf';
  const plain = Buffer.concat([Buffer.from('%PDF-1.7 confidential quarterly forecast '), randomBytes(3 * MIB)]);
  const src = join(root, fileName);
  writeFileSync(src, plain);
  const pointer = await alice.attachments.upload({ path: src });
  assert.deepEqual([pointer.fileName, pointer.contentType, pointer.size, pointer.sha256], [fileName, 'application/pdf', plain.length, sha256(plain)]);
  const sent = await alice.send({ email: 'bob@acme.test' }, { text: 'the forecast', attachments: [pointer] });
  assert.equal(sent.recipients.length, 2);

  const [msg] = await drain(bob);
  assert.equal(msg?.text, 'the forecast');
  assert.deepEqual(msg?.attachments.map((a) => [a.fileName, a.size, a.sha256]), [[fileName, plain.length, sha256(plain)]]);
  const out = join(root, 'bob-downloads');
  const saved = await bob.attachments.saveInto(msg!.messageId, 0, out);
  assert.equal(saved.path, join(out, fileName));
  assert.equal(sha256(readFileSync(saved.path)), sha256(plain));
  // A second save into the same folder never replaces the first.
  assert.equal((await bob.attachments.saveInto(msg!.messageId, 0, out)).path, join(out, 'Quarterly-forecast-SECRET-7f3a (1).pdf'));
  // Previews: in memory, refused above the cap.
  assert.equal(sha256(Buffer.from(await bob.attachments.read(msg!.messageId, 0, { maxBytes: 4 * MIB }))), sha256(plain));
  await assert.rejects(bob.attachments.read(msg!.messageId, 0, { maxBytes: MIB }), /more than 1\.0 MiB to show here/);

  // The server's data dir: ciphertext only — no slice of the plaintext, no file name.
  const needles = [plain.subarray(0, 40), plain.subarray(MIB, MIB + 32), plain.subarray(plain.length - 32), Buffer.from(fileName), Buffer.from(fileName, 'utf16le')];
  assert.deepEqual(filesContaining(serverDir, needles), []);
  assert.ok(blobs().includes(pointer.id), 'bob\'s second device has not fetched it yet');
  // Nor the sender's or receiver's profile folders (the local copies are ciphertext; the name is in SQLCipher).
  assert.deepEqual(filesContaining(join(root, 'alice'), needles), []);
  assert.deepEqual(filesContaining(join(root, 'bob'), needles), []);

  const [copy] = await drain(bob2);
  assert.equal(await bob2.attachments.download(copy!.messageId), 1);
  await until(() => !blobs().includes(pointer.id), 'the blob is deleted after the last granted device fetched it');
  // The sender still has its own copy.
  const mine = join(root, 'alice-copy.pdf');
  await alice.attachments.save(sent.messageId, 0, mine);
  assert.equal(sha256(readFileSync(mine)), sha256(plain));
});

test('a tampered blob: "attachment failed its integrity check", nothing saved', async () => {
  const pointer = await alice.attachments.upload({ fileName: 'notes.txt', bytes: Buffer.from('meet at ten, room 4.12\n'.repeat(1000)) });
  await alice.send({ email: 'carol@acme.test' }, { attachments: [pointer] });
  const [msg] = await drain(carol);
  // A hostile server (or anyone with its disk) flips one byte of the ciphertext.
  const file = join(serverDir, 'blobs', pointer.id);
  const bytes = readFileSync(file);
  bytes[100]! ^= 0x20;
  writeFileSync(file, bytes);
  const out = join(root, 'carol-downloads');
  await assert.rejects(carol.attachments.saveInto(msg!.messageId, 0, out), (err: Error) => {
    assert.ok(err instanceof IntegrityError);
    assert.equal(err.message, 'attachment failed its integrity check');
    return true;
  });
  assert.ok(!existsSync(out) || readdirSync(out).length === 0, 'nothing saved');
  assert.deepEqual(readdirSync(join(root, 'carol', 'attachments')).filter((n) => n.startsWith(pointer.id)), [], 'no ciphertext kept either');
});

test('deleting a message for me deletes its local files', async () => {
  const pointer = await alice.attachments.upload({ fileName: 'gone.bin', bytes: randomBytes(5000) });
  await alice.send({ email: 'carol@acme.test' }, { attachments: [pointer] });
  const [msg] = await drain(carol);
  await carol.attachments.download(msg!.messageId);
  assert.ok(existsSync(join(root, 'carol', 'attachments', pointer.id)));
  await carol.deleteMessage(msg!.messageId, { forEveryone: false });
  assert.ok(!existsSync(join(root, 'carol', 'attachments', pointer.id)));
});

test('a file to a group: every member device reads it, and the blob goes after the last one fetched it', async () => {
  const group = await alice.createGroup('Files', ['bob@acme.test', 'carol@acme.test']);
  const data = randomBytes(200_000);
  const pointer = await alice.attachments.upload({ fileName: 'plan.bin', bytes: data });
  const sent = await alice.send({ group: group.id }, { text: 'plan', attachments: [pointer] });
  assert.equal(sent.recipients.length, 3, 'bob, bob\'s second device and carol');
  for (const m of [bob, bob2, carol]) {
    const msg = (await drain(m)).find((x) => x.messageId === sent.messageId);
    assert.ok(msg, 'the group message arrived');
    assert.ok(Buffer.from(await m.attachments.read(msg.messageId, 0, { maxBytes: MIB })).equals(data));
  }
  await until(() => !blobs().includes(pointer.id), 'the group blob is deleted after the last member device fetched it');
});

test('a file to someone with no device yet: granted when the message reaches their first device', async () => {
  const data = randomBytes(10_000);
  const pointer = await alice.attachments.upload({ fileName: 'welcome.pdf', bytes: data });
  const sent = await alice.send({ email: 'dave@acme.test' }, { text: 'welcome', attachments: [pointer] });
  assert.equal(sent.waiting, true);
  const dave = await device('dave', 'dave');
  assert.equal(await alice.sendWaiting(), 1);
  const msg = (await drain(dave)).find((x) => x.messageId === sent.messageId);
  assert.ok(msg);
  assert.ok(Buffer.from(await dave.attachments.read(msg.messageId, 0, { maxBytes: MIB })).equals(data));
});

test('memory stays flat while a 64 MiB file streams up and down', async () => {
  const src = join(root, 'big.bin');
  // Written a MiB at a time: a 64 MiB buffer here would leave room in the heap that a buffering bug could reuse unseen.
  const chunk = randomBytes(MIB);
  const fd = openSync(src, 'w');
  for (let i = 0; i < 64; i++) writeSync(fd, chunk);
  closeSync(fd);
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  try {
    const pointer = await alice.attachments.upload({ path: src });
    await alice.send({ email: 'carol@acme.test' }, { attachments: [pointer] });
    const [msg] = await drain(carol);
    const saved = await carol.attachments.saveInto(msg!.messageId, 0, join(root, 'carol-big'));
    assert.equal(statSync(saved.path).size, 64 * MIB);
    assert.equal(saved.sha256, pointer.sha256);
  } finally {
    clearInterval(timer);
  }
  // Client and server run in this process: buffering the file anywhere would add at least 64 MiB.
  const grew = (peak - base) / MIB;
  assert.ok(grew < 48, `RSS grew by ${grew.toFixed(1)} MiB while streaming a 64 MiB file`);
});

test('CLI: send --file … and receive --download-dir; a missing, unreadable or over-limit file is exit 2 with one line and nothing sent', async () => {
  const a = join(root, 'alice'), c = join(root, 'carol');
  const file = join(root, 'cli report.csv');
  writeFileSync(file, 'region,total\nnorth,12\n');
  // The CLI opens the same profiles next to the in-process devices (as the CLI next to the app).
  const sent = await parley(['--profile', a, 'send', 'carol@acme.test', 'numbers', '--file', file, '--json']);
  assert.equal(sent.code, 0, sent.stderr);
  const { messageId } = jsonLines(sent.stdout)[0] as { messageId: string };
  const dir = join(root, 'cli-downloads');
  const got = await parley(['--profile', c, 'receive', '--json', '--download-dir', dir]);
  assert.equal(got.code, 0, got.stderr);
  const msg = jsonLines(got.stdout).find((l) => l.messageId === messageId) as { attachments: Array<Record<string, unknown>> };
  assert.deepEqual(msg.attachments, [{
    fileName: 'cli report.csv', contentType: 'text/csv', size: 22, sha256: sha256(readFileSync(file)), path: join(dir, 'cli report.csv'),
  }]);
  assert.equal(readFileSync(join(dir, 'cli report.csv'), 'utf8'), 'region,total\nnorth,12\n');

  const missing = await parley(['--profile', a, 'send', 'carol@acme.test', 'x', '--file', join(root, 'nope.txt')]);
  assert.deepEqual([missing.code, missing.stderr.trim().split('\n').length], [2, 1]);
  assert.match(missing.stderr, /cannot read .*nope\.txt: no such file/);
  if (process.getuid?.() !== 0) {
    const locked = join(root, 'locked.txt');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    const r = await parley(['--profile', a, 'send', 'carol@acme.test', 'x', '--file', locked]);
    assert.deepEqual([r.code, /permission denied/.test(r.stderr)], [2, true]);
  }
  const big = join(root, 'too-big.bin');
  writeFileSync(big, '');
  truncateSync(big, 80 * MIB + 1); // sparse: no 80 MiB written for a file that is refused anyway
  const over = await parley(['--profile', a, 'send', 'carol@acme.test', 'x', '--file', big]);
  assert.equal(over.code, 2);
  assert.match(over.stderr, /too-big\.bin is 80 MiB; this server accepts files up to 80 MiB/);
  rmSync(big);
  // None of the refused sends reached carol.
  const after = await parley(['--profile', c, 'receive', '--json']);
  assert.deepEqual(jsonLines(after.stdout).filter((l) => l.text === 'x'), []);
});
