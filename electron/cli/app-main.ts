// `parley-app --profile DIR --server URL [--browser-shell] [--port N] [--window | --no-window]`: one Parley client.
import { parseArgs } from 'node:util';
import { presentBrowserShell, windowWanted } from './app-window.ts';
import { findElectron, run, ROOT, startBrowserClient } from './launch.ts';
import { join } from 'node:path';

const USAGE = 'usage: parley-app --profile DIR --server URL [--browser-shell] [--port N] [--window | --no-window]';

function fail(message: string, code = 2): never {
  process.stderr.write(`parley-app: ${message}\n`);
  process.exit(code);
}

let values;
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2), strict: true, allowPositionals: false,
    options: {
      profile: { type: 'string' }, server: { type: 'string' }, 'browser-shell': { type: 'boolean' }, port: { type: 'string' },
      window: { type: 'boolean' }, 'no-window': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  fail((err as Error).message.split('\n')[0]!);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (values.window && values['no-window']) fail('--window and --no-window contradict each other');
if (!values.profile) fail('--profile DIR is required');
if (!values.server) fail('--server URL is required');
try { new URL(values.server); } catch { fail(`not a URL: ${values.server}`); }
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) fail(`invalid --port ${values.port}`);

const electron = values['browser-shell'] ? undefined : findElectron();
if (electron && 'path' in electron) {
  try {
    await run(electron.path, [join(ROOT, 'out', 'main', 'main.js'), `--profile=${values.profile}`, `--server=${values.server}`]);
    process.exit(0);
  } catch (err) {
    // It died (no display, sandbox refused as root…): say so, and serve the browser shell instead.
    process.stderr.write(`parley-app: the Electron app failed (${(err as Error).message.replace(/^.* exited with /, 'exit code ')}); using the browser shell\n`);
  }
}
if (electron && 'missing' in electron) process.stderr.write(`parley-app: ${electron.missing}; using the browser shell\n`);
try {
  const client = await startBrowserClient(values.profile, values.server, port);
  let closeWindow = () => {};
  const stop = async () => { closeWindow(); await client.close(); process.exit(0); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  closeWindow = await presentBrowserShell(client.shell, values.profile, windowWanted(values['no-window'] ? false : values.window));
} catch (err) {
  fail((err as Error).message, 1);
}
