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
