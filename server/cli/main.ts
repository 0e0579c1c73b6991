// parley-server: command-line entry point (launched by parley-server.js through tsx).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Compile } from 'typebox/compile';
import type { ServerOptions } from '../app.ts';
import { MessagingPolicy } from '../../common/wire/schemas.ts';

const checkPolicy = Compile(MessagingPolicy);

const USAGE = [
  'usage: parley-server (--data DIR | --database URL --lease-key FILE [--bus URL]) [--port N] [--host ADDR] (--dev-idp | --issuer URL --client-id ID) [--organization NAME] [--admin-group NAME] [--public-url URL] [--policy-file FILE] [--offline-lock-hours N] [--offline-wipe-days N] [--scim-token TOKEN] [--scim-link-claim CLAIM] [--attachment-max-mib N] [--attachment-quota-mib N]',
  '  --data DIR: one node, SQLite and the lease key in DIR. --database postgres://…: one node of a cluster (PostgreSQL shared by all),',
  '  the lease key from --lease-key FILE (Ed25519 PKCS#8 PEM, the same file on every node), --bus nats://… to reach the other nodes.',
  '  From the environment instead (flags show in process lists): PARLEY_DATABASE_URL, PARLEY_BUS_URL, PARLEY_LEASE_KEY_FILE, PARLEY_SCIM_TOKEN.',
  '  Attachments: --attachment-max-mib N per file (default 100), --attachment-quota-mib N stored per user until fetched (default 1024).',
  '  Behind a reverse proxy: --trust-proxy HOPS|ADDRS (client addresses from X-Forwarded-For). --max-connections-per-ip N: 0 = no cap (default 256; off with --trust-proxy).',
  'Offline, against a stopped or running server\'s database: parley-server audit verify (--data DIR | --database URL) [--head HASH];',
  '  parley-server data-inventory (--data DIR | --database URL) [--format md|json].',
].join('\n');

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
        database: { type: 'string' },
        bus: { type: 'string' },
        'lease-key': { type: 'string' },
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
        'trust-proxy': { type: 'string' },
        'max-connections-per-ip': { type: 'string' },
        'attachment-max-mib': { type: 'string' },
        'attachment-quota-mib': { type: 'string' },
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
  const database = values.database ?? (process.env.PARLEY_DATABASE_URL || undefined);
  const bus = values.bus ?? (process.env.PARLEY_BUS_URL || undefined);
  const leaseKeyFile = values['lease-key'] ?? (process.env.PARLEY_LEASE_KEY_FILE || undefined);
  if (database !== undefined) {
    if (values.data) fail('--data and --database are exclusive: with --database the node keeps nothing on local disk');
    if (!/^postgres(ql)?:\/\//.test(database)) fail('--database must be a postgres:// or postgresql:// URL');
    if (leaseKeyFile === undefined) fail('with --database, give --lease-key FILE (or PARLEY_LEASE_KEY_FILE): every node must sign leases with the same key');
  } else if (!values.data) {
    fail('give --data DIR (one node, SQLite) or --database URL (PostgreSQL, one or more nodes)');
  }
  if (bus !== undefined && database === undefined) fail('--bus needs --database: the nodes it connects share their state in PostgreSQL');
  if (bus !== undefined && !/^(nats|tls):\/\//.test(bus)) fail('--bus must be a nats:// or tls:// URL');
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
  const trustProxy = values['trust-proxy'] === undefined ? undefined : parseTrustProxy(values['trust-proxy']);
  const perIp = values['max-connections-per-ip'];
  if (perIp !== undefined && !/^(0|[1-9][0-9]{0,5})$/.test(perIp)) fail(`invalid --max-connections-per-ip ${perIp} (0 = no cap, up to 999999)`);
  const mib = (flag: 'attachment-max-mib' | 'attachment-quota-mib'): number | undefined => {
    const v = values[flag];
    if (v !== undefined && !/^[1-9][0-9]{0,6}$/.test(v)) fail(`invalid --${flag} ${v} (a whole number of MiB, 1 to 9999999)`);
    return v === undefined ? undefined : Number(v) * 1024 * 1024;
  };
  const maxBytes = mib('attachment-max-mib');
  const quotaBytes = mib('attachment-quota-mib');
  if ((quotaBytes ?? 1024 * 1024 * 1024) < (maxBytes ?? 100 * 1024 * 1024)) fail('--attachment-quota-mib must be at least --attachment-max-mib');
  return {
    port, devIdp,
    ...(maxBytes !== undefined || quotaBytes !== undefined ? { attachments: { ...(maxBytes ? { maxBytes } : {}), ...(quotaBytes ? { quotaBytes } : {}) } } : {}),
    ...(values.data ? { dataDir: values.data } : {}),
    ...(database !== undefined ? { database } : {}),
    ...(bus !== undefined ? { bus } : {}),
    ...(leaseKeyFile !== undefined ? { leaseKey: readLeaseKey(leaseKeyFile) } : {}),
    ...(scimToken !== undefined ? { scimToken } : {}),
    ...(linkClaim !== undefined ? { scimLinkClaim: linkClaim } : {}),
    ...(trustProxy !== undefined ? { trustProxy } : {}),
    ...(perIp !== undefined ? { connections: { maxPerIp: Number(perIp) } } : {}),
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

/** The lease key file's PEM (checked when the server starts: it must be an Ed25519 private key). */
function readLeaseKey(file: string): { pem: string; source: string } {
  try { return { pem: readFileSync(file, 'utf8'), source: file }; } catch (err) { fail(`cannot read --lease-key: ${(err as Error).message}`); }
}

/**
 * --trust-proxy: "true" (any proxy: only when nothing else can reach the server), a hop count ("1": the proxy in
 * front), or comma-separated proxy addresses/CIDRs ("10.0.0.5,10.1.0.0/16").
 */
function parseTrustProxy(v: string): boolean | number | string[] {
  if (v === 'true') return true;
  if (/^[1-9][0-9]?$/.test(v)) return Number(v);
  const list = v.split(',').map((x) => x.trim());
  const addr = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)(?:\/\d{1,3})?$/;
  if (list.length === 0 || !list.every((x) => addr.test(x))) fail(`invalid --trust-proxy ${v} (true, a hop count, or addresses/CIDRs separated by commas)`);
  return list;
}

/**
 * The policy file: plain text (the messaging policy users accept), or JSON `{ "text": "…", "rules": {…} }`
 * adding the workplace rules (common/wire/org-rules.ts). Its version is a hash of the whole file, so any
 * edit asks users to accept again.
 */
function readPolicy(file: string): MessagingPolicy {
  let raw: string;
  try { raw = readFileSync(file, 'utf8').trim(); } catch (err) { fail(`cannot read --policy-file: ${(err as Error).message}`); }
  const version = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  if (!raw.startsWith('{')) {
    if (!raw || raw.length > 20_000) fail('--policy-file must hold 1 to 20000 characters of text');
    return { version, text: raw };
  }
  let value: unknown;
  try { value = JSON.parse(raw); } catch (err) { fail(`--policy-file is not valid JSON: ${(err as Error).message}`); }
  const candidate = { version, ...(value as object) };
  if (!checkPolicy.Check(candidate)) {
    const first = checkPolicy.Errors(candidate)[0];
    fail(`--policy-file: ${first ? `${first.instancePath || '/'} ${first.message}` : 'does not match the policy schema'}`);
  }
  for (const zone of [candidate.rules?.workingHours?.timeZone].filter((z): z is string => z !== undefined)) {
    try { new Intl.DateTimeFormat('en', { timeZone: zone }); } catch { fail(`--policy-file: unknown time zone ${zone}`); }
  }
  return candidate;
}

// Offline subcommands (audit verify, data-inventory) read the database and exit: no server is started.
if (['audit', 'data-inventory'].includes(process.argv[2] ?? '')) {
  const { runOffline } = await import('./offline.ts');
  process.exit(await runOffline(process.argv.slice(2)));
}
const options = parseOptions(process.argv.slice(2));
// Loaded after argument parsing so that usage errors answer instantly.
const { startServer, DEV_IDP_CLUSTER_WARNING } = await import('../app.ts');
if (options.devIdp && options.database !== undefined) process.stderr.write(`parley-server: warning: ${DEV_IDP_CLUSTER_WARNING}\n`);
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
