// The response half of every route's schema: success bodies from common/wire/, and for every 4xx and 5xx the
// ErrorBody of common/errors.ts. Fastify serializes replies with these (a property a schema does not name is
// dropped, never leaked), and startServer refuses any route that declares none (requireResponseSchemas).
import { Type, type TSchema } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorBody } from '../common/errors.ts';

/** Every error status of a JSON route answers an ErrorBody. */
export const ERROR_REPLIES = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

/** A route's response schemas: its success (and special error) bodies by status, then ERROR_REPLIES. */
export function replies<T extends Record<number, TSchema>>(bodies: T): T & typeof ERROR_REPLIES {
  return { ...bodies, ...ERROR_REPLIES };
}

/** 204 No Content, 303 See Other, 101 Switching Protocols: no body. */
export const NoBody = Type.Null({ description: 'no body' });

export interface CheckedRoute {
  method: string;
  url: string;
  response: Record<string, unknown>;
  /** The request schemas the route validates with (the fuzz tests generate requests from them). */
  request: { body?: unknown; params?: unknown; querystring?: unknown };
}

/**
 * Makes `app` refuse (throw at registration, so the server does not start) every route that does not declare
 * response schemas for a success status and for its errors. Returns the routes it checked, as they register.
 */
export function requireResponseSchemas(app: FastifyInstance): CheckedRoute[] {
  const routes: CheckedRoute[] = [];
  app.addHook('onRoute', (route) => {
    const where = `${[route.method].flat().join(',')} ${route.url}`;
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (!response) throw new Error(`${where} declares no response schema (schema.response)`);
    const statuses = Object.keys(response);
    if (!statuses.some((s) => /^[123]/.test(s))) throw new Error(`${where} declares no response schema for its success status`);
    if (!statuses.some((s) => /^4/.test(s))) throw new Error(`${where} declares no response schema for its errors (4xx)`);
    const { body, params, querystring } = (route.schema ?? {}) as CheckedRoute['request'];
    routes.push({ method: [route.method].flat().join(','), url: route.url, response, request: { body, params, querystring } });
  });
  return routes;
}
