// parley-server: command-line entry point (launched by parley-server.js through tsx).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ServerOptions } from '../app.ts';

const USAGE = 'usage: parley-server --data DIR [--port N] [--host ADDR] (--dev-idp | --issuer URL --client-id ID) [--organization NAME] [--admin-group NAME] [--public-url URL] [--policy-file FILE] [--offline-lock-hours N] [--offline-wipe-days N] [--scim-token TOKEN] [--scim-link-claim CLAIM]\n  PARLEY_SCIM_TOKEN may give the SCIM token instead of --scim-token (which shows in process lists).';

function fail(message: string): never {
  process.stderr.write(`parley-server: ${message.replace(/\s*\n\s*/g, ' ')} (try --help)\n`);
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
        'policy-file': { type: 'string' },
        'offline-lock-hours': { type: 'string' },
        'offline-wipe-days': { type: 'string' },
        'scim-token': { type: 'string' },
        'scim-link-claim': { type: 'string' },
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
  const lockHours = values['offline-lock-hours'];
  if (lockHours !== undefined && !/^[1-9][0-9]{0,3}$/.test(lockHours) || Number(lockHours) > 8760) {
    fail(`invalid --offline-lock-hours ${lockHours} (1 to 8760)`);
  }
  const wipeDays = values['offline-wipe-days'];
  if (wipeDays !== undefined && !/^[1-9][0-9]{0,3}$/.test(wipeDays) || Number(wipeDays) > 3650) {
    fail(`invalid --offline-wipe-days ${wipeDays} (1 to 3650)`);
  }
  const scimToken = values['scim-token'] ?? (process.env.PARLEY_SCIM_TOKEN || undefined);
  if (scimToken !== undefined && (scimToken.length < 16 || /\s/.test(scimToken))) fail('the SCIM token must be at least 16 characters without spaces');
  const linkClaim = values['scim-link-claim'];
  if (linkClaim !== undefined && !/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/.test(linkClaim)) fail(`invalid --scim-link-claim ${linkClaim}`);
  if (linkClaim !== undefined && scimToken === undefined) fail('--scim-link-claim needs --scim-token (or PARLEY_SCIM_TOKEN)');
  return {
    dataDir: values.data, port, devIdp,
    ...(scimToken !== undefined ? { scimToken } : {}),
    ...(linkClaim !== undefined ? { scimLinkClaim: linkClaim } : {}),
    ...(lockHours !== undefined ? { offlineLockHours: Number(lockHours) } : {}),
    ...(wipeDays !== undefined ? { offlineWipeDays: Number(wipeDays) } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values.issuer ? { issuer: values.issuer } : {}),
    ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
    ...(values.organization ? { organization: values.organization } : {}),
    ...(values['admin-group'] ? { adminGroup: values['admin-group'] } : {}),
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    ...(values['policy-file'] ? { policy: readPolicy(values['policy-file']) } : {}),
  };
}

/** A plain-text policy file; its version is a hash of the text, so any edit asks users to accept again. */
function readPolicy(file: string): { version: string; text: string } {
  let text: string;
  try { text = readFileSync(file, 'utf8').trim(); } catch (err) { fail(`cannot read --policy-file: ${(err as Error).message}`); }
  if (!text || text.length > 20_000) fail('--policy-file must hold 1 to 20000 characters of text');
  return { version: createHash('sha256').update(text).digest('hex').slice(0, 16), text };
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
