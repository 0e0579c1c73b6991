// `npm start`: the messenger on the embedded defaults — relay server + dev IdP on 127.0.0.1 + one app.
// Without the Electron binary (it cannot be fetched everywhere) the app runs as the browser shell.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '../../server/app.ts';
import { presentBrowserShell, windowWanted } from './app-window.ts';
import { findElectron, ROOT, run, startBrowserClient } from './launch.ts';

// `npm start -- --no-window`: print the link instead of opening a window (--window forces one).
let flags;
try {
  ({ values: flags } = parseArgs({ args: process.argv.slice(2), strict: true, options: { window: { type: 'boolean' }, 'no-window': { type: 'boolean' } } }));
} catch (err) {
  process.stderr.write(`parley: ${(err as Error).message.split('\n')[0]}\n`);
  process.exit(2);
}
const wantWindow = windowWanted(flags['no-window'] ? false : flags.window);

const port = Number(process.env.PARLEY_PORT ?? 8080);
const dataDir = process.env.PARLEY_DATA ?? join('.parley-dev', 'server');
const profiles = join('.parley-dev', 'profiles');

let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer({ dataDir, port, host: '127.0.0.1', devIdp: true, logger: { level: 'warn' } });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(`parley: cannot start: ${e.code === 'EADDRINUSE' ? `port ${port} is in use (set PARLEY_PORT)` : e.message}\n`);
  process.exit(1);
}
const p = (who: string) => `npx parley --profile ${join(profiles, who)}`;
process.stdout.write(`
Parley is running: relay ${server.url}, dev IdP ${server.issuer} (demo users alice, bob, carol, dave @acme.test)
Data: ${dataDir}    Stop: Ctrl+C

A second person from another terminal, with the CLI:
  ${p('bob')} login --server ${server.url} --user bob
  ${p('bob')} send alice@acme.test "Hello Alice"
  ${p('bob')} receive --wait 30
Or a second app window: npx parley-app --profile ${join(profiles, 'bob-app')} --server ${server.url} --browser-shell

`);

const appProfile = join(profiles, 'app');
const electron = findElectron();
let stopClient: () => Promise<void> = async () => {};
// From here on Ctrl+C stops whatever has started (a signal before a handler would kill without closing).
const stop = async () => { await stopClient(); await server.close(); process.exit(0); };
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

async function browserShell(why: string): Promise<void> {
  process.stdout.write(`${why}; running the browser shell instead.\n`);
  try {
    const client = await startBrowserClient(appProfile, server.url);
    let closeWindow = () => {};
    stopClient = async () => { closeWindow(); await client.close(); };
    closeWindow = await presentBrowserShell(client.shell, appProfile, wantWindow);
  } catch (err) {
    process.stderr.write(`parley: the app cannot start: ${(err as Error).message}\n`);
    await server.close();
    process.exit(1);
  }
}

if ('path' in electron && !process.env.PARLEY_BROWSER_SHELL) {
  // Electron exiting on its own ends npm start; failing (no display, refused sandbox as root) falls back.
  void run(electron.path, [join(ROOT, 'out', 'main', 'main.js'), `--profile=${appProfile}`, `--server=${server.url}`]).then(
    () => process.kill(process.pid, 'SIGINT'),
    (err: Error) => browserShell(`The Electron app failed (${err.message.replace(/^.* exited with /, 'exit code ')})`),
  );
} else {
  await browserShell(`Electron is not available (${'missing' in electron ? electron.missing : 'PARLEY_BROWSER_SHELL is set'})`);
}

