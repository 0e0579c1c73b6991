// The server's demand that this device wipe itself, however it arrives: a live push on the delivery
// socket, a close code (common/close-codes.ts), or a refused credential on any request.
import { ApiError } from '../net/api.ts';
import { ErrorCode } from '../../../common/errors.ts';

export class WipeRequestedError extends Error {
  override name = 'WipeRequestedError';
  constructor(readonly revoked = false) { super(revoked ? 'this device was revoked' : 'this device must be wiped'); }
}

/** Maps the server's refusal of a wiped or revoked device to WipeRequestedError; other errors pass through. */
export function asWipeRequest(err: unknown): unknown {
  if (err instanceof ApiError && err.status === 401 && (err.code === ErrorCode.device_wiped || err.code === ErrorCode.device_revoked)) {
    return new WipeRequestedError(err.code === ErrorCode.device_revoked);
  }
  return err;
}
