// parley-server: command-line entry point (launched by parley-server.js through tsx).
import { parseArgs } from 'node:util';
import type { ServerOptions } from '../app.ts';

const USAGE = 'usage: parley-server --data DIR [--port N] [--host ADDR] (--dev-idp | --issuer URL --client-id ID) [--organization NAME] [--admin-group NAME] [--public-url URL]';

function fail(message: string): never {
  process.stderr.write(`parley-server: ${message} (try --help)\n`);
  process.exit(2);
}

function parseOptions(argv: string[]): ServerOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'dev-idp': { type: 'boolean' },
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        organization: { type: 'string' },
        'admin-group': { type: 'string' },
        'public-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.data) fail('--data DIR is required');
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${values.port}`);
  const devIdp = values['dev-idp'] === true;
  const external = values.issuer !== undefined || values['client-id'] !== undefined;
  if (devIdp && external) fail('--dev-idp cannot be combined with --issuer/--client-id');
  if (!devIdp && !(values.issuer && values['client-id'])) fail('give --dev-idp, or both --issuer URL and --client-id ID');
  if (values.issuer) {
    try { new URL(values.issuer); } catch { fail(`invalid --issuer ${values.issuer}`); }
  }
  return {
    dataDir: values.data, port, devIdp,
    ...(values.host ? { host: values.host } : {}),
    ...(values.issuer ? { issuer: values.issuer } : {}),
    ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
    ...(values.organization ? { organization: values.organization } : {}),
    ...(values['admin-group'] ? { adminGroup: values['admin-group'] } : {}),
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
  };
}

const options = parseOptions(process.argv.slice(2));
// Loaded after argument parsing so that usage errors answer instantly.
const { startServer } = await import('../app.ts');
let server;
try {
  server = await startServer(options);
} catch (err) {
  process.stderr.write(`parley-server: ${(err as Error).message}\n`);
  process.exit(1);
}
process.stdout.write(`Parley server listening on ${server.url} (issuer ${server.issuer})\n`);

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    server.close().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`parley-server: error while closing: ${(err as Error).message}\n`);
      process.exit(1);
    });
  });
}
