// `parley-release`: sign and verify Parley update artifacts (docs/release.md "Update signatures").
// Exit codes: 0 ok · 1 refused or failed (verification, I/O) · 2 bad usage or input.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CHANNELS, generateUpdateKeyPair, isChannel, loadPrivateKey, rawPublicKey, serializeSignature, SignatureError, signUpdate,
} from '../core/update/signature.ts';
import { isSemver } from '../core/update/semver.ts';
import { checkUpdateFile, sha256File } from '../core/update/check-file.ts';

const USAGE = `usage: parley-release <command>
  keygen DIR                                   new Ed25519 update key: DIR/update-private.pem (0600, secret)
                                               and DIR/update-public.txt (base64, to pin); never overwrites
  sign --key PRIV FILE --version V --channel C write FILE.sig; PRIV is a PEM file, or "-" to read the PEM
                                               from the environment variable PARLEY_UPDATE_PRIVATE_KEY
  verify [--public-key PUB]... FILE --version V --channel C [--installed VERSION] [--sig PATH]
                                               check FILE against FILE.sig; PUB is a .txt file or the base64
                                               key itself (default: the keys pinned in this build); prints "valid"
channels: ${CHANNELS.join(', ')} · versions: MAJOR.MINOR.PATCH[-PRERELEASE]
exit codes: 0 ok, 1 refused or failed, 2 bad usage or input`;

const COMMANDS: Record<string, { options: string[]; positionals: number }> = {
  keygen: { options: [], positionals: 1 },
  sign: { options: ['key', 'version', 'channel'], positionals: 1 },
  verify: { options: ['public-key', 'version', 'channel', 'installed', 'sig'], positionals: 1 },
};

class ExitError extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}
const usage = (message: string) => new ExitError(2, message);

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        key: { type: 'string' },
        version: { type: 'string' },
        channel: { type: 'string' },
        'public-key': { type: 'string', multiple: true },
        installed: { type: 'string' },
        sig: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw usage(`${(err as Error).message.split('\n')[0]} (see parley-release --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) { process.stdout.write(`${USAGE}\n`); process.exit(0); }
  const [command, ...args] = positionals;
  if (!command) throw usage('no command given (see parley-release --help)');
  const spec = COMMANDS[command];
  if (!spec) throw usage(`unknown command "${command}" (see parley-release --help)`);
  for (const key of Object.keys(values)) {
    if (!spec.options.includes(key)) throw usage(`option --${key} does not apply to "${command}"`);
  }
  if (args.length !== spec.positionals) {
    throw usage(`"${command}" takes ${spec.positionals} argument${spec.positionals === 1 ? '' : 's'}, got ${args.length} (see parley-release --help)`);
  }
  return { command, arg: args[0]!, values };
}

function versionAndChannel(values: { version?: string | undefined; channel?: string | undefined }, command: string) {
  if (values.version === undefined) throw usage(`${command} needs --version V`);
  if (values.channel === undefined) throw usage(`${command} needs --channel C (${CHANNELS.join(', ')})`);
  if (!isSemver(values.version)) throw usage(`not a version (MAJOR.MINOR.PATCH[-PRERELEASE]): ${values.version}`);
  if (!isChannel(values.channel)) throw usage(`not a channel (${CHANNELS.join(', ')}): ${values.channel}`);
  return { version: values.version, channel: values.channel };
}

function requireFile(path: string, what: string): void {
  let ok = false;
  try { ok = statSync(path).isFile(); } catch { /* missing */ }
  if (!ok) throw usage(`${what} not found: ${path}`);
}

function keygen(dir: string): void {
  const priv = join(dir, 'update-private.pem');
  const pub = join(dir, 'update-public.txt');
  for (const p of [priv, pub]) if (existsSync(p)) throw new ExitError(1, `refusing to overwrite ${p}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const k = generateUpdateKeyPair();
  try {
    // 'wx': fails instead of overwriting if the file appeared meanwhile; 0600 from creation on.
    writeFileSync(priv, k.privatePem, { flag: 'wx', mode: 0o600 });
    writeFileSync(pub, `${k.publicBase64}\n`, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    throw new ExitError(1, `cannot write the key files in ${dir}: ${(err as Error).message.split('\n')[0]}`);
  }
  process.stdout.write(`key ${k.keyId}\nprivate key (keep secret, offline): ${priv}\npublic key (pin in build/release/update-public-keys.json): ${pub}\n${k.publicBase64}\n`);
}

async function signCommand(file: string, values: { key?: string | undefined; version?: string | undefined; channel?: string | undefined }): Promise<void> {
  if (values.key === undefined) throw usage('sign needs --key PRIV (a PEM file, or "-" for $PARLEY_UPDATE_PRIVATE_KEY)');
  const { version, channel } = versionAndChannel(values, 'sign');
  let pem: string;
  if (values.key === '-') {
    const env = process.env.PARLEY_UPDATE_PRIVATE_KEY;
    if (!env || env.trim() === '') throw usage('--key - reads the PEM from PARLEY_UPDATE_PRIVATE_KEY, which is not set');
    pem = env;
  } else {
    requireFile(values.key, 'private key file');
    pem = readFileSync(values.key, 'utf8');
  }
  requireFile(file, 'file to sign');
  try { loadPrivateKey(pem); } catch (err) { throw usage((err as Error).message); }
  const sig = signUpdate({ sha256: await sha256File(file) }, version, channel, pem);
  const out = `${file}.sig`;
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, serializeSignature(sig), { mode: 0o644 });
  renameSync(tmp, out);
  process.stdout.write(`signed ${file} (sha256 ${sig.sha256}) as ${version} on ${channel} with key ${sig.keyId}: ${out}\n`);
}

async function publicKeys(specs: string[] | undefined): Promise<string[]> {
  // Loaded only here, so keygen/sign work even before build/release/update-public-keys.json exists.
  if (specs === undefined || specs.length === 0) return [...(await import('../core/update/pinned-keys.ts')).PINNED_UPDATE_KEYS];
  return specs.map((spec) => {
    let text = spec.trim();
    if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) {
      requireFile(spec, 'public key file');
      text = readFileSync(spec, 'utf8').trim();
    }
    try { rawPublicKey(text); } catch (err) { throw usage(`${(err as Error).message}: ${spec}`); }
    return text;
  });
}

async function verifyCommand(file: string, values: { 'public-key'?: string[] | undefined; version?: string | undefined; channel?: string | undefined; installed?: string | undefined; sig?: string | undefined }): Promise<void> {
  const { version, channel } = versionAndChannel(values, 'verify');
  if (values.installed !== undefined && !isSemver(values.installed)) throw usage(`not a version (MAJOR.MINOR.PATCH[-PRERELEASE]): ${values.installed}`);
  const keys = await publicKeys(values['public-key']);
  requireFile(file, 'file to verify');
  const r = await checkUpdateFile(
    { filePath: file, version, channel, ...(values.sig !== undefined ? { sigPath: values.sig } : {}) },
    { ...(values.installed !== undefined ? { installedVersion: values.installed } : {}), publicKeys: keys },
  );
  if (!r.ok) throw new ExitError(1, r.reason);
  process.stdout.write('valid\n');
}

async function run(argv: string[]): Promise<void> {
  const { command, arg, values } = parse(argv);
  if (command === 'keygen') return keygen(arg);
  if (command === 'sign') return signCommand(arg, values);
  return verifyCommand(arg, values);
}

try {
  await run(process.argv.slice(2));
} catch (err) {
  const code = err instanceof ExitError ? err.code : err instanceof SignatureError ? 2 : 1;
  const message = (err as Error).message.replace(/\s*\n\s*/g, ' ');
  process.stderr.write(`parley-release: ${message}\n`);
  process.exitCode = code;
}
