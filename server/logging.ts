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
