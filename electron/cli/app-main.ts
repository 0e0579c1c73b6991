// `parley-app --profile DIR --server URL [--browser-shell] [--port N]`: one Parley client.
import { parseArgs } from 'node:util';
import { findElectron, run, ROOT, startBrowserClient } from './launch.ts';
import { join } from 'node:path';

function fail(message: string, code = 2): never {
  process.stderr.write(`parley-app: ${message}\n`);
  process.exit(code);
}

let values;
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2), strict: true, allowPositionals: false,
    options: { profile: { type: 'string' }, server: { type: 'string' }, 'browser-shell': { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  }));
} catch (err) {
  fail((err as Error).message.split('\n')[0]!);
}
if (values.help) {
  process.stdout.write('usage: parley-app --profile DIR --server URL [--browser-shell] [--port N]\n');
  process.exit(0);
}
if (!values.profile) fail('--profile DIR is required');
if (!values.server) fail('--server URL is required');
try { new URL(values.server); } catch { fail(`not a URL: ${values.server}`); }
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) fail(`invalid --port ${values.port}`);

const electron = values['browser-shell'] ? undefined : findElectron();
if (electron && 'path' in electron) {
  await run(electron.path, [join(ROOT, 'out', 'main', 'main.js'), `--profile=${values.profile}`, `--server=${values.server}`]);
  process.exit(0);
}
if (electron && 'missing' in electron) process.stderr.write(`parley-app: ${electron.missing}; using the browser shell\n`);
try {
  const client = await startBrowserClient(values.profile, values.server, port);
  process.stdout.write(`Parley UI: ${client.shell.url}\n`);
  const stop = async () => { await client.close(); process.exit(0); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  fail((err as Error).message, 1);
}
