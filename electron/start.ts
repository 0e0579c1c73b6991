// `npm start`: the messenger on the embedded defaults — relay server + dev IdP on 127.0.0.1.
// Until the desktop app exists (issue "Desktop app"), it prints how to chat with the CLI.
import { join } from 'node:path';
import { startServer } from '../server/app.ts';

const port = Number(process.env.PARLEY_PORT ?? 8080);
const dataDir = process.env.PARLEY_DATA ?? join('.parley-dev', 'server');
const profiles = join('.parley-dev', 'profiles');

try {
  const server = await startServer({ dataDir, port, host: '127.0.0.1', devIdp: true, logger: { level: 'warn' } });
  const p = (who: string) => `npx parley --profile ${join(profiles, who)}`;
  process.stdout.write(`
Parley is running: relay ${server.url}, dev IdP ${server.issuer} (demo users alice, bob, carol, dave @acme.test)
Data: ${dataDir}    Stop: Ctrl+C

Chat from two terminals with the CLI:
  ${p('alice')} login --server ${server.url} --user alice
  ${p('bob')} login --server ${server.url} --user bob
  ${p('alice')} send bob@acme.test "Hello Bob"
  ${p('bob')} receive --wait 30
  ${p('bob')} safety-number alice@acme.test
`);
  const stop = async () => { await server.close(); process.exit(0); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(`parley: cannot start: ${e.code === 'EADDRINUSE' ? `port ${port} is in use (set PARLEY_PORT)` : e.message}\n`);
  process.exit(1);
}
