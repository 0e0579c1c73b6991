// The server log's privacy: it says what happened to which opaque ids, never who by name. Request bodies are
// not logged (Fastify logs the request line only); query strings can carry emails (deprecated GET directory
// lookups, the admin user filter ?email=, SCIM filters like userName eq "…"), so every query value is replaced
// by "[redacted]"; credentials and cookies are removed; and fields that name people or groups are censored
// wherever a log call would pass them.
import type { FastifyServerOptions } from 'fastify';

export const REDACTED = '[redacted]';

/** The path with each query parameter's value redacted: `/v1/admin/users?email=[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url.slice(q + 1).split('&').map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? p : `${p.slice(0, eq)}=${REDACTED}`;
  });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** Keys that hold an email, a person's or a group's name, whatever log call passes them (top level or one down). */
const PERSONAL_KEYS = ['email', 'name', 'displayName', 'userName', 'groupName', 'actorEmail', 'targetEmail'];

export function serverLoggerOptions(): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return {
    level: 'info',
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', ...PERSONAL_KEYS, ...PERSONAL_KEYS.map((k) => `*.${k}`)],
      censor: REDACTED,
    },
    serializers: {
      // Fastify's default request serializer, with the URL's query values redacted.
      req(req: { method: string; url: string; host?: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) {
        return {
          method: req.method, url: redactUrl(req.url), host: req.host ?? req.hostname,
          remoteAddress: req.ip, remotePort: req.socket?.remotePort,
        };
      },
    },
  };
}

/** Successful sends: one summary line per second at info instead of an access line each (20,000 a second cost a core). */
export const SEND_ROUTES = new Set(['POST /v1/messages', 'POST /v1/groups/:id/messages']);

/**
 * Counts accepted sends (HTTP and delivery-socket frames) and logs `{sends, envelopes, http, socket}` once per
 * second in which there were any. Refused sends are not counted here: they get their own line.
 */
export class SendTally {
  #sends = 0;
  #envelopes = 0;
  #socket = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: { info(obj: object, msg: string): void }, private readonly periodMs = 1000) {}

  readonly #socketListeners: ((sender: { userId: string; deviceId: number }) => void)[] = [];

  /** Called for every send accepted over a delivery socket (HTTP sends are seen by onResponse hooks). */
  onSocketSend(listener: (sender: { userId: string; deviceId: number }) => void): void {
    this.#socketListeners.push(listener);
  }

  /** An accepted send over a socket: counted, and told to the listeners. */
  socketSend(envelopes: number, sender: { userId: string; deviceId: number }): void {
    this.count(envelopes, 'socket');
    for (const l of this.#socketListeners) l(sender);
  }

  count(envelopes: number, over: 'http' | 'socket'): void {
    this.#sends++;
    this.#envelopes += envelopes;
    if (over === 'socket') this.#socket++;
    if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), this.periodMs);
      this.#timer.unref();
    }
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#sends === 0) return;
    this.log.info({ sends: this.#sends, envelopes: this.#envelopes, http: this.#sends - this.#socket, socket: this.#socket, periodMs: this.periodMs }, 'sends accepted');
    this.#sends = 0;
    this.#envelopes = 0;
    this.#socket = 0;
  }
}

interface LoggedRequest {
  method: string; url: string; ip: string; body?: unknown; log: { info(obj: object, msg: string): void };
  routeOptions: { url?: string | undefined };
}

/**
 * The access log, one line per request (Fastify's own request logging, two lines with serializers, is off):
 * method, redacted URL, client address, status and time at info — except accepted sends, which `tally` sums up.
 */
export function accessLog(tally: SendTally) {
  return function onResponse(req: LoggedRequest, reply: { statusCode: number; elapsedTime: number }, done: () => void): void {
    const { statusCode } = reply;
    if (statusCode < 400 && SEND_ROUTES.has(`${req.method} ${req.routeOptions.url}`)) {
      const envelopes = (req.body as { envelopes?: unknown[] } | undefined)?.envelopes?.length ?? 0;
      tally.count(envelopes, 'http');
    } else {
      // Flat fields, not `req`: that key would go through the request serializer again.
      req.log.info({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip, statusCode, responseTime: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed');
    }
    done();
  };
}
