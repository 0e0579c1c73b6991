// Every client-visible failure is an ApiError: a code of the shared table (common/errors.ts), which fixes its
// HTTP status, and a human sentence (the table's, unless the thrower knows better).
import { ERRORS, type ErrorBody, type ErrorCode } from '../common/errors.ts';

export class ApiError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].sentence,
    /** Extra fields merged into the JSON body (e.g. the device lists of a mismatch). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = ERRORS[code].status;
  }

  body(): ErrorBody {
    return { error: this.code, message: this.message, ...this.extra };
  }
}

/** An error body for a code, with the table's sentence unless `message` is given. */
export const errorBody = (code: ErrorCode, message: string = ERRORS[code].sentence): ErrorBody => ({ error: code, message });

export const unauthorized = (message?: string) => new ApiError('unauthorized', message);
export const unknownUser = () => new ApiError('unknown_user');
export const unknownDevice = (message?: string) => new ApiError('unknown_device', message);

/** A wiped, wipe-pending or revoked device presenting its (otherwise valid) credential. */
export const deviceRefused = (state: 'wipe-pending' | 'wiped' | 'revoked') =>
  new ApiError(state === 'revoked' ? 'device_revoked' : 'device_wiped');
export const forbidden = (message?: string) => new ApiError('forbidden', message);
