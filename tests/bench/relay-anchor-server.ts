// The relay bench's anchor (relay.ts): a bare WebSocket relay doing only the frame work of a 1:1 socket send, on
// the same `ws` as parley-server, speaking just enough of its protocol for the bench's load generator
// (relay-load.ts). Per `send` frame: JSON.parse, one `envelope` frame to each addressed socket, one `send-result`.
// Acks are read and dropped. No authentication, schema check, fan-out check, database, rate limit nor cork: what
// Parley's relay costs above this is what its checks and its durable queue cost. Bench only; 127.0.0.1 only.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const sockets = new Map<string, WebSocket>();
let nextId = 0;

interface Send { recipient: string; envelopes: { userId: string; deviceId: number; type: number; content: string }[] }

const http = createServer((_req, res) => { res.writeHead(404).end(); });
// The same frame limit as parley-server (SEND_FRAME_BYTES is larger than any bench frame).
const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
http.on('upgrade', (req, socket, head) => {
  // "Bearer userId.deviceId.secret" (server/auth.ts formatCredential): the address is taken as given.
  const [userId, deviceId] = (req.headers.authorization ?? '').replace(/^Bearer /, '').split('.');
  wss.handleUpgrade(req, socket, head, (ws) => {
    const me = `${userId}/${deviceId}`;
    sockets.set(me, ws);
    ws.on('close', () => { if (sockets.get(me) === ws) sockets.delete(me); });
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (!text.startsWith('{"type":"send",')) return; // an ack
      const frame = JSON.parse(text) as { req: string; send: Send };
      const serverTimestamp = Date.now();
      for (const e of frame.send.envelopes) {
        sockets.get(`${e.userId}/${e.deviceId}`)?.send(JSON.stringify({
          type: 'envelope',
          envelope: { id: String(++nextId), sourceUser: userId, sourceDevice: Number(deviceId), type: e.type, content: e.content, serverTimestamp },
        }));
      }
      ws.send(JSON.stringify({ type: 'send-result', req: frame.req, status: 200, body: { serverTimestamp } }));
    });
    ws.send('{"type":"queue-empty"}');
  });
});
http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as { port: number };
  console.log(`relay anchor listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
