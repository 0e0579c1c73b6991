// A delivery-socket client for server tests: queues frames so a test can await them in order, checks every
// frame against the wire schema, and keeps a refused upgrade's status and JSON body for assertions.
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Value } from 'typebox/value';
import { ServerFrame } from '../../common/wire/schemas.ts';

export class SocketClient {
  readonly frames: any[] = [];
  #waiters: Array<() => void> = [];
  closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      assert.ok(Value.Check(ServerFrame, frame), `invalid server frame ${data.toString()}`);
      this.frames.push(frame);
      this.#waiters.splice(0).forEach((w) => w());
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  /** Opens /v1/ws; a refused upgrade rejects with `{ status, body }`. */
  static connect(serverUrl: string, auth: { authorization: string }): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${serverUrl.replace('http', 'ws')}/v1/ws`, { headers: auth });
      const client = new SocketClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  /** The next frame, as soon as it arrives. */
  async next(timeoutMs = 5000): Promise<any> {
    if (this.frames.length === 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for a frame`)), timeoutMs);
        this.#waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.frames.shift();
  }

  /** The next envelope (other frames skipped), acknowledged. */
  async nextEnvelope(timeoutMs?: number): Promise<any> {
    for (;;) {
      const f = await this.next(timeoutMs);
      if (f.type === 'envelope') { this.ack(f.envelope.id); return f.envelope; }
    }
  }

  /** Envelope frames up to queue-empty; acknowledged only with `ack: true`. */
  async drain(opts: { ack?: boolean } = {}): Promise<any[]> {
    const out = [];
    for (;;) {
      const f = await this.next();
      if (f.type === 'queue-empty') return out;
      assert.equal(f.type, 'envelope');
      if (opts.ack) this.ack(f.envelope.id);
      out.push(f.envelope);
    }
  }

  ack(id: string) { this.ws.send(JSON.stringify({ type: 'ack', id })); }
  async close() { this.ws.close(); await this.closed; }
}
