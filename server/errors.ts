// Every client-visible failure is an ApiError: a status, a snake_case code and a human sentence.
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Extra fields merged into the JSON body (e.g. device lists of a mismatch). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const unauthorized = (message = 'A valid device credential is required.') =>
  new ApiError(401, 'unauthorized', message);
export const unknownUser = () => new ApiError(404, 'unknown_user', 'No such user.');
export const unknownDevice = () => new ApiError(404, 'unknown_device', 'No such device, or it has not published keys yet.');

/** A wiped, wipe-pending or revoked device presenting its (otherwise valid) credential. */
export const deviceRefused = (state: 'wipe-pending' | 'wiped' | 'revoked') => state === 'revoked'
  ? new ApiError(401, 'device_revoked', 'An administrator revoked this device; sign in again to register a new one.')
  : new ApiError(401, 'device_wiped', 'An administrator wiped this device; its credential no longer works.');
export const forbidden = (message = 'Only organization administrators may do this.') => new ApiError(403, 'forbidden', message);
