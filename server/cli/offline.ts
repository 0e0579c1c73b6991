// parley-server's offline subcommands, which read a relay's database and exit without starting a server:
//   parley-server audit verify (--data DIR | --database URL) [--head HASH]
//   parley-server data-inventory (--data DIR | --database URL) [--format md|json]
// Exit codes: 0 done (intact / complete), 1 the audit chain is broken or the inventory incomplete, 2 bad usage or
// no database to read — always one line on stderr saying which.
import { AUDIT_USAGE, UsageError, auditCommand } from './audit.ts';
import { INVENTORY_USAGE, inventoryCommand } from './inventory.ts';
import { DbOpenError } from './db.ts';

export const OFFLINE_COMMANDS = ['audit', 'data-inventory'];

const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => { stream.write('', () => resolve()); });

export async function runOffline(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (text: string) => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`); };
  const err = (line: string) => { process.stderr.write(`${line.replace(/\s*\n\s*/g, ' ')}\n`); };
  let code: number;
  try {
    code = command === 'audit' ? await auditCommand(rest, out) : await inventoryCommand(rest, out, err);
  } catch (e) {
    const error = e as Error & { code?: string };
    const usage = e instanceof UsageError || (typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS'));
    const hint = usage ? ` (${command === 'audit' ? AUDIT_USAGE : INVENTORY_USAGE})` : '';
    err(`parley-server: ${command}: ${e instanceof DbOpenError || usage ? error.message : `cannot read the database: ${error.message}`}${hint}`);
    code = 2;
  }
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  return code;
}
