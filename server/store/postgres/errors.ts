// What a lost database connection looks like to the rest of the server: a 503 with a clear code
// (store_unavailable) instead of an internal error, so clients retry and operators see the cause.
import { ApiError } from '../../errors.ts';

export class StoreUnavailableError extends ApiError {
  constructor(override readonly cause: unknown) {
    super('store_unavailable');
    this.name = 'StoreUnavailableError';
  }
}

/** SQLSTATE classes and codes that mean "the database is not there" rather than "this statement is wrong". */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The StoreUnavailableError for a connection-level failure, or undefined for any other error. */
export function unavailable(err: unknown): StoreUnavailableError | undefined {
  if (err instanceof StoreUnavailableError) return err;
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))) {
    return new StoreUnavailableError(err);
  }
  // node-postgres' own words for a connection that went away or never came.
  if (/Connection terminated|timeout exceeded when trying to connect|not queryable|Connection ended/i.test(err.message)) {
    return new StoreUnavailableError(err);
  }
  return undefined;
}
