// `npm start`: the messenger on the embedded defaults — relay server + dev IdP on 127.0.0.1 + one app.
// Without the Electron binary (it cannot be fetched everywhere) the app runs as the browser shell.
import { join } from 'node:path';
import { startServer } from '../../server/app.ts';
import { findElectron, openChromiumApp, ROOT, run, startBrowserClient } from './launch.ts';

const port = Number(process.env.PARLEY_PORT ?? 8080);
const dataDir = process.env.PARLEY_DATA ?? join('.parley-dev', 'server');
const profiles = join('.parley-dev', 'profiles');

let server;
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
if ('path' in electron && !process.env.PARLEY_BROWSER_SHELL) {
  void run(electron.path, [join(ROOT, 'out', 'main', 'main.js'), `--profile=${appProfile}`, `--server=${server.url}`]).then(() => process.kill(process.pid, 'SIGINT'));
} else {
  process.stdout.write(`Electron is not available (${'missing' in electron ? electron.missing : 'PARLEY_BROWSER_SHELL is set'}); opening the browser shell instead.\n`);
  const client = await startBrowserClient(appProfile, server.url);
  stopClient = client.close;
  process.stdout.write(`Parley UI: ${client.shell.url}\n`);
  if (!process.env.CI && openChromiumApp(client.shell.url, appProfile)) process.stdout.write('Opened it in a Chromium app window.\n');
  else process.stdout.write('Open that address in a browser (Chromium or Chrome).\n');
}

const stop = async () => { await stopClient(); await server.close(); process.exit(0); };
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
