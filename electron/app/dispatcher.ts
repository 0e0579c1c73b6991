// The single entry point for every transport (Electron IPC, the browser shell's loopback bridge): a call is
// checked against the contract (common/app-api/contract.ts) before its handler runs.
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { Methods, type MethodName } from '../../common/app-api/contract.ts';
import type { Handlers } from './host.ts';
import { NetworkError } from '../core/net/api.ts';
import { UsageError } from '../core/messenger.ts';

/** What the UI shows when the server cannot be reached for something that needs it now. */
export const OFFLINE_SENTENCE = 'Parley cannot reach the server right now. Check your connection; Parley keeps trying.';

export class BadCallError extends Error {
  override name = 'BadCallError';
}

const validators = new Map<TSchema, ReturnType<typeof Compile>>();
function check(schema: TSchema, value: unknown): boolean {
  let v = validators.get(schema);
  if (!v) { v = Compile(schema); validators.set(schema, v); }
  return v.Check(value);
}

/**
 * Unknown methods and inputs that do not match the method's schema are refused before any handler runs,
 * so nothing changes in the store.
 */
export function createDispatcher(c: { readonly handlers: Handlers }): (method: string, input: unknown) => Promise<unknown> {
  return async (method, input) => {
    if (typeof method !== 'string' || !Object.hasOwn(Methods, method)) throw new BadCallError(`unknown method: ${String(method).slice(0, 60)}`);
    const spec = Methods[method as MethodName];
    const args = input === undefined ? {} : input;
    if (!check(spec.input, args)) throw new BadCallError(`invalid input for ${method}`);
    const handler = c.handlers[method as MethodName] as (i: unknown) => Promise<unknown>;
    try {
      return await handler(args);
    } catch (err) {
      // People read these: a sentence, not "cannot reach http://…: connect ECONNREFUSED".
      if (err instanceof NetworkError) throw new UsageError(OFFLINE_SENTENCE);
      throw err;
    }
  };
}
