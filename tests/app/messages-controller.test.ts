// The app controller's message and file methods (common/app-api/contract.ts) on real parts (dev server, dev
// IdP, SQLCipher profiles): a file uploaded and sent reaches the other app as a message event with its
// attachment (no key or relay id in the view), previews only real pictures, saves through the save dialog
// hook or as a download, opens only after saving and never a program (also not one disguised with a
// right-to-left override); reactions, edits and deletes arrive as messageUpdated events. Plus the file-name
// rules themselves and the dispatcher's refusals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/app.ts';
import type { AppControllerOptions } from '../../electron/app/controller.ts';
import type { AppEvent, MessageView } from '../../common/app-api/contract.ts';
import { AppController, BadCallError, createDispatcher } from '../../electron/app/controller.ts';
import { isExecutableFile, safeFileName, sniffImage } from '../../electron/app/handlers/attachment-files.ts';
import { defaultVault, loginNewDevice } from '../../electron/core/messenger.ts';
import { tempDir } from '../e2e/harness.ts';
import { waitFor } from '../support/wait-for.ts';

const PNG_1x1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

interface Person { c: AppController; call: (method: string, input: unknown) => Promise<any>; events: AppEvent[]; opened: string[] }

let server: RunningServer;
let root: string;
const people: Person[] = [];

before(async () => {
  root = tempDir('app-messages');
  server = await startServer({ dataDir: join(root, 'server'), port: 0, host: '127.0.0.1', devIdp: true, logger: false });
});
after(async () => {
  for (const p of people) await p.c.stop();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function person(user: string, extra: Partial<AppControllerOptions> = {}): Promise<Person> {
  const profile = join(root, user);
  (await loginNewDevice(profile, server.url, { kind: 'dev-user', username: user })).close();
  const c = new AppController({ profileDir: profile, serverUrl: server.url, vault: defaultVault(profile), openExternal: async () => {}, ...extra });
  const events: AppEvent[] = [];
  c.onEvent((e) => events.push(e));
  await c.start();
  const call = createDispatcher(c) as Person['call'];
  const state = c.getState();
  if (state.phase === 'consent') await call('policy.accept', { version: state.policy!.version });
  await waitFor(() => c.getState().connection === 'online', { timeoutMs: 15_000, what: `${user} online` });
  const p: Person = { c, call, events, opened: [] };
  people.push(p);
  return p;
}

/** The message event with this text (it arrives over the real relay). */
async function incoming(p: Person, text: string): Promise<MessageView> {
  const find = () => p.events.flatMap((e) => (e.type === 'message' && e.message.text === text ? [e.message] : []))[0];
  await waitFor(() => find() !== undefined, { timeoutMs: 15_000, what: `"${text}" arrives` });
  return find()!;
}
const updated = (p: Person, id: string, ok: (m: MessageView) => boolean) =>
  waitFor(() => p.events.some((e) => e.type === 'messageUpdated' && e.message.id === id && ok(e.message)), { timeoutMs: 15_000, what: `an update of ${id}` });

test('file names from a sender become one safe name; programs are recognised however they are disguised', () => {
  assert.equal(safeFileName('../../.bashrc'), '_.._.bashrc');
  assert.equal(safeFileName('report\u202Efdp.exe'), 'reportfdp.exe');
  assert.equal(safeFileName('CON.txt'), '_CON.txt');
  assert.equal(safeFileName('   '), 'file');
  for (const [name, type] of [['setup.exe', 'application/octet-stream'], ['invoice\u202Efdp.exe', 'application/pdf'], ['notes.pdf.exe.', 'application/pdf'],
    ['run.sh', 'text/plain'], ['page.html', 'text/plain'], ['x', 'application/x-msdownload'], ['drawing.svg', 'image/svg+xml'], ['report.exe.pdf', 'application/pdf']]) {
    assert.equal(isExecutableFile(name!, type!), true, `${name} (${type}) is a program`);
  }
  for (const [name, type] of [['minutes.txt', 'text/plain'], ['photo.png', 'image/png'], ['budget.xlsx', 'application/vnd.ms-excel']]) {
    assert.equal(isExecutableFile(name!, type!), false, `${name} is not a program`);
  }
  assert.equal(sniffImage(PNG_1x1), 'image/png');
  assert.equal(sniffImage(Buffer.from('<svg onload="alert(1)"/>')), null);
  assert.equal(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
});

test('the dispatcher refuses malformed message and file calls before any handler runs', async () => {
  const c = new AppController({ profileDir: join(root, 'nobody'), serverUrl: server.url, vault: defaultVault(join(root, 'nobody')), openExternal: async () => {} });
  const call = createDispatcher(c);
  for (const [method, input] of [
    ['messages.react', { messageId: 'abc', emoji: 'x'.repeat(33) }],
    ['messages.edit', { messageId: 'abc', text: '   ' }],
    ['messages.delete', { messageId: 'abc' }],
    ['messages.send', { conversationId: 'c', text: 'hi', attachments: [] }],
    ['attachments.upload', { fileName: 'a.txt', contentType: 'text/plain', data: 'not base64!' }],
    ['attachments.preview', { messageId: '../x', index: 0 }],
    ['attachments.open', { messageId: 'abc', index: -1 }],
    ['messages.typing', { conversationId: 'c', state: 'maybe' }],
  ] as const) {
    await assert.rejects(call(method, input), BadCallError, `${method} ${JSON.stringify(input)}`);
  }
});

test('files: upload, send, preview only real pictures, save by dialog or download, open after saving, never a program', async () => {
  const saveDir = join(root, 'chosen');
  mkdirSync(saveDir); // the save dialog only offers folders that exist
  const downloads = join(root, 'downloads');
  const alice = await person('alice');
  const bob = await person('bob', {
    chooseSavePath: async (name) => join(saveDir, `picked-${name}`),
    openFiles: { dir: downloads, open: async (path) => { bob.opened.push(path); } },
  });
  const { id: conversationId } = await alice.call('conversations.open', { email: 'bob@acme.test' });
  const files = [
    { fileName: 'dot.png', contentType: 'image/png', data: PNG_1x1.toString('base64') },
    { fileName: 'minutes.txt', contentType: 'text/plain', data: Buffer.from('Minutes: budget approved.').toString('base64') },
    { fileName: 'invoice\u202Efdp.exe', contentType: 'application/pdf', data: Buffer.from('MZ pretend program').toString('base64') },
    { fileName: 'photo.png', contentType: 'image/png', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>').toString('base64') },
  ];
  const uploads: string[] = [];
  for (const f of files) {
    const up = await alice.call('attachments.upload', f);
    assert.equal(up.fileName.normalize(), f.fileName.normalize());
    uploads.push(up.uploadId);
  }
  const sent: MessageView = await alice.call('messages.send', { conversationId, text: 'Files for Friday', attachments: uploads });
  assert.equal(sent.attachments?.length, 4);
  assert.ok(!JSON.stringify(sent).includes('"key"'), 'no key in a view');
  // An upload id is spent once sent.
  await assert.rejects(alice.call('messages.send', { conversationId, text: 'again', attachments: [uploads[0]] }), /not uploaded|expired/);

  const got = await incoming(bob, 'Files for Friday');
  assert.deepEqual(got.attachments!.map((a) => [a.fileName, a.isImage, a.isExecutable]), [
    ['dot.png', true, false], ['minutes.txt', false, false], ['invoice\u202Efdp.exe', false, true], ['photo.png', true, false],
  ]);
  const preview = await bob.call('attachments.preview', { messageId: got.id, index: 0 });
  assert.equal(preview.contentType, 'image/png');
  assert.deepEqual(Buffer.from(preview.data, 'base64'), PNG_1x1);
  await assert.rejects(bob.call('attachments.preview', { messageId: got.id, index: 3 }), /not a picture Parley can show/);
  await assert.rejects(bob.call('attachments.preview', { messageId: got.id, index: 1 }), /Only pictures/);

  const saved = await bob.call('attachments.save', { messageId: got.id, index: 1 });
  assert.deepEqual(saved, { outcome: 'saved', fileName: 'minutes.txt' });
  assert.equal(readFileSync(join(saveDir, 'picked-minutes.txt'), 'utf8'), 'Minutes: budget approved.');

  const opened = await bob.call('attachments.open', { messageId: got.id, index: 1 });
  assert.equal(opened.outcome, 'opened');
  assert.equal(bob.opened.length, 1);
  assert.equal(readFileSync(bob.opened[0]!, 'utf8'), 'Minutes: budget approved.', 'saved before it was opened');
  await assert.rejects(bob.call('attachments.open', { messageId: got.id, index: 2 }), /does not open programs/);
  assert.equal(bob.opened.length, 1, 'the program was never handed to the OS');
  assert.ok(!readdirSync(downloads).some((n) => n.includes('exe')), 'nor saved by Open');

  // No save dialog (the browser shell): the page gets the bytes to download.
  const dl = await alice.call('attachments.save', { messageId: sent.id, index: 1 });
  assert.equal(dl.outcome, 'download');
  assert.equal(Buffer.from(dl.data, 'base64').toString(), 'Minutes: budget approved.');
  assert.ok(!existsSync(join(root, 'alice', 'minutes.txt')));
});

test('reactions, edits and deletes reach the other app as messageUpdated events; delete for me as messageRemoved', async () => {
  const [alice, bob] = [people[0]!, people[1]!];
  const { id: conversationId } = await alice.call('conversations.open', { email: 'bob@acme.test' });
  const sent: MessageView = await alice.call('messages.send', { conversationId, text: 'Standup moved to 10' });
  const got = await incoming(bob, 'Standup moved to 10');
  await bob.call('messages.react', { messageId: got.id, emoji: '👍' });
  await updated(alice, sent.id, (m) => m.reactions?.[0]?.emoji === '👍' && m.reactions[0].names[0] === 'Bob Baker' && !m.reactions[0].mine);
  await bob.call('messages.react', { messageId: got.id, emoji: '🎉' });
  await updated(alice, sent.id, (m) => m.reactions?.length === 1 && m.reactions[0]!.emoji === '🎉');
  const edited: MessageView = await alice.call('messages.edit', { messageId: sent.id, text: 'Standup moved to 10:30' });
  assert.equal(edited.edited, true);
  await updated(bob, got.id, (m) => m.text === 'Standup moved to 10:30' && m.edited === true);
  await assert.rejects(bob.call('messages.edit', { messageId: got.id, text: 'forged' }), /own|author|your/i);
  await alice.call('messages.delete', { messageId: sent.id, forEveryone: true });
  await updated(bob, got.id, (m) => m.deleted === true && m.text === '' && m.reactions === undefined);
  const reply: MessageView = await bob.call('messages.send', { conversationId: got.conversationId, text: 'ok', replyTo: got.id }).catch((e: Error) => e as never);
  assert.ok(reply instanceof Error, 'a deleted message cannot be replied to');
  const kept: MessageView = await alice.call('messages.send', { conversationId, text: 'Keep this one' });
  const keptAtBob = await incoming(bob, 'Keep this one');
  await bob.call('messages.delete', { messageId: keptAtBob.id, forEveryone: false });
  assert.ok(bob.events.some((e) => e.type === 'messageRemoved' && e.messageId === keptAtBob.id));
  const list: MessageView[] = await bob.call('messages.list', { conversationId: keptAtBob.conversationId });
  assert.ok(!list.some((m) => m.id === keptAtBob.id));
  assert.ok((await alice.call('messages.list', { conversationId }) as MessageView[]).some((m) => m.id === kept.id), 'still there for alice');
});
