// 1:1 sends as `send` frames on the open delivery socket (common/wire/socket-send.ts, server/socket-send.ts): no
// HTTP request and no credential check per message, the same answers. ApiClient.send uses this while the socket
// is open and POST /v1/messages otherwise. A frame that cannot be written, a socket that closes before the
// answer and a missing answer all fail like a lost HTTP response (NetworkError): the caller's retry, with the
// send's sendId, is answered with the first result and stores nothing twice.
import WebSocket from 'ws';
import type { Static } from 'typebox';
import type * as W from '../../../common/wire/schemas.ts';
import type { SendFrame, SendResultFrame } from '../../../common/wire/socket-send.ts';

export type SendResponse = Static<typeof W.SendResponse>;

export interface SendAnswers {
  /** The 200 body checked against the contract; throws the client's ApiError for any other status (or a bad body). */
  check(status: number, body: unknown): SendResponse;
  /** The error of a send that got no answer. */
  lost(message: string): Error;
}

interface Pending { resolve(r: SendResponse): void; reject(e: unknown): void; timer: NodeJS.Timeout }

export class SocketSends {
  readonly #pending = new Map<string, Pending>();
  #next = 0;

  constructor(private readonly ws: WebSocket, private readonly answers: SendAnswers, private readonly timeoutMs: number) {}

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(send: W.SendRequest): Promise<SendResponse> {
    const req = (this.#next = (this.#next + 1) % 2 ** 48).toString(36);
    const frame: SendFrame = { type: 'send', req, send };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(req, 'no answer to the send over the delivery socket'), this.timeoutMs);
      timer.unref();
      this.#pending.set(req, { resolve, reject, timer });
      this.ws.send(JSON.stringify(frame), (err) => { if (err) this.#fail(req, `the send could not be written to the delivery socket: ${err.message}`); });
    });
  }

  /** A `send-result` frame: settles its send (an unknown `req` — answered after a timeout — is dropped). */
  settle(frame: SendResultFrame): void {
    const p = this.#pending.get(frame.req);
    if (!p) return;
    this.#pending.delete(frame.req);
    clearTimeout(p.timer);
    try {
      p.resolve(this.answers.check(frame.status, frame.body));
    } catch (err) {
      p.reject(err);
    }
  }

  /** The socket closed: every unanswered send is lost. */
  closed(): void {
    for (const req of [...this.#pending.keys()]) this.#fail(req, 'the delivery socket closed before the send was answered');
  }

  #fail(req: string, message: string): void {
    const p = this.#pending.get(req);
    if (!p) return;
    this.#pending.delete(req);
    clearTimeout(p.timer);
    p.reject(this.answers.lost(message));
  }
}
