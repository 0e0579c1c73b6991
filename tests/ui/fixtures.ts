// Real processes for UI tests: `parley-server --dev-idp` and one `parley-app --browser-shell` per person,
// started exactly as a user would, each in its own temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

function startProcess(script: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = out.match(ready);
      if (m) { clearTimeout(timer); resolve({ child, match: m }); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => { out += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${script} exited ${code}: ${out}`)); });
  });
}

export interface World {
  serverUrl: string;
  ui: Record<string, string>;
  stop(): Promise<void>;
}

export async function startWorld(people: string[]): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-ui-'));
  const children: ChildProcess[] = [];
  const server = await startProcess('server/cli/parley-server.js', ['--data', join(dir, 'server'), '--port', '0', '--dev-idp'], /listening on (http:\/\/\S+)/);
  children.push(server.child);
  const serverUrl = server.match[1]!;
  const ui: Record<string, string> = {};
  for (const who of people) {
    const app = await startProcess('electron/cli/parley-app.js', ['--profile', join(dir, who), '--server', serverUrl, '--browser-shell'], /Parley UI: (\S+)/);
    children.push(app.child);
    ui[who] = app.match[1]!;
  }
  return {
    serverUrl, ui,
    async stop() {
      await Promise.all(children.map((c) => new Promise<void>((r) => { if (c.exitCode !== null) return r(); c.once('exit', () => r()); c.kill('SIGTERM'); })));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
