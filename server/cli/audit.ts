// `parley-server audit verify (--data DIR | --database URL) [--head HASH]`: checks the audit log's hash chain
// offline, from the database itself (read-only; the server need not run, and a running one is not disturbed).
//   exit 0: intact (prints the number of entries and the head hash — record it elsewhere: a later run with
//           --head HASH then also proves no entry up to it was cut off or rewritten)
//   exit 1: broken (prints the first broken entry and why)
//   exit 2: bad usage, or no database to read
import { parseArgs } from 'node:util';
import { ChainVerifier } from '../audit.ts';
import { openReadOnly, DbOpenError } from './db.ts';

export const AUDIT_USAGE = 'usage: parley-server audit verify (--data DIR | --database URL) [--head HASH]';
const PAGE = 1000;

export class UsageError extends Error {}

/** --data DIR or --database URL (or PARLEY_DATABASE_URL), exactly one. */
export function databaseOf(values: { data?: string | undefined; database?: string | undefined }): { data: string } | { database: string } {
  const database = values.database ?? (values.data === undefined ? process.env.PARLEY_DATABASE_URL || undefined : undefined);
  if (values.data !== undefined && database !== undefined) throw new UsageError('give --data DIR or --database URL, not both');
  if (database !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(database)) throw new UsageError('--database must be a postgres:// or postgresql:// URL');
    return { database };
  }
  if (!values.data) throw new UsageError('give --data DIR (SQLite) or --database URL (PostgreSQL)');
  return { data: values.data };
}

export async function auditCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: { data: { type: 'string' }, database: { type: 'string' }, head: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { out(AUDIT_USAGE); return 0; }
  if (positionals.length !== 1 || positionals[0] !== 'verify') throw new UsageError(positionals.length === 0 ? 'audit needs a subcommand: verify' : `unknown audit subcommand: ${positionals.join(' ')}`);
  if (values.head !== undefined && !/^[0-9a-f]{64}$/.test(values.head)) throw new UsageError('--head must be a 64-character hex hash as printed by audit verify');
  const db = await openReadOnly(databaseOf(values));
  try {
    const chain = new ChainVerifier();
    let headSeen = values.head === undefined;
    for (let after = 0; ;) {
      const rows = await db.auditPage(after, PAGE);
      for (const row of rows) {
        const broken = chain.push(row);
        if (broken) { out(`audit log BROKEN at entry ${broken.id}: ${broken.problem}`); return 1; }
        if (row.hash === values.head) headSeen = true;
      }
      if (rows.length < PAGE) break;
      after = chain.count;
    }
    if (!headSeen) {
      out(`audit log BROKEN: the recorded head ${values.head} is not in the log (entries up to it were removed or rewritten)`);
      return 1;
    }
    out(`audit log intact: ${chain.count} entr${chain.count === 1 ? 'y' : 'ies'}, head ${chain.head}`);
    return 0;
  } finally {
    await db.close();
  }
}

export { DbOpenError };
