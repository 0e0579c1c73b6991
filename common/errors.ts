// The error half of the wire contract, shared by both ends. Every failure the relay answers outside /scim/v2
// (SCIM has its own RFC 7644 error shape, common/wire/scim.ts) is an ErrorBody `{ error, message, …extra }`
// whose `error` is a code of ERRORS. The server builds its errors from this table (server/errors.ts); the
// client parses bodies with parseErrorBody and compares codes with the ErrorCode constants, never bare strings.
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

/**
 * Every code the server sends, with its HTTP status and the sentence it is sent with unless the server has a
 * more precise one. Append freely; never rename or reuse a code (clients compare against them).
 */
export const ERRORS = {
  // 400: the request itself is wrong.
  invalid_request: { status: 400, sentence: 'The request does not match the API contract.' },
  invalid_json: { status: 400, sentence: 'The request body is not valid JSON.' },
  /** Any other client error the HTTP framework raised; sent with the status it chose (4xx). */
  bad_request: { status: 400, sentence: 'The request was not understood.' },
  invalid_key: { status: 400, sentence: 'A key or signature in the request is malformed.' },
  invalid_base64: { status: 400, sentence: 'An envelope content is not canonical base64.' },
  duplicate_device: { status: 400, sentence: 'Two envelopes address the same device.' },
  identity_required: { status: 400, sentence: 'The first key upload must include identityKey and signedPreKey.' },
  invalid_target: { status: 400, sentence: 'Give exactly one target: email, or userId (every device), or userId and deviceId (one device).' },
  invalid_timestamp: { status: 400, sentence: 'wipedAt lies in the future.' },
  /** Not HTTP: the `error` of a WebSocket `{type:'error'}` frame answering a malformed client frame. */
  invalid_frame: { status: 400, sentence: 'Expected a JSON text frame {"type":"ack","id":"<envelope id>"}.' },
  invalid_prekey_signature: { status: 400, sentence: "The signed prekey's signature does not verify with the device's identity key." },
  invalid_name: { status: 400, sentence: 'A name must contain a visible character and no control, bidirectional-override or invisible-only text.' },
  // 401: who is asking is not established.
  unauthorized: { status: 401, sentence: 'A valid device credential is required.' },
  invalid_token: { status: 401, sentence: 'The ID token was refused.' },
  device_wiped: { status: 401, sentence: 'An administrator wiped this device; its credential no longer works.' },
  device_revoked: { status: 401, sentence: 'An administrator revoked this device; sign in again to register a new one.' },
  invalid_signature: { status: 401, sentence: "The signature does not verify with this device's lifecycle key." },
  stale_request: { status: 401, sentence: 'The request timestamp is too far from the server clock.' },
  // 403: known, but not allowed.
  forbidden: { status: 403, sentence: 'Only organization administrators may do this.' },
  account_deactivated: { status: 403, sentence: 'Your organization deactivated this account; it cannot register devices.' },
  not_a_member: { status: 403, sentence: 'You are not a member of this group.' },
  announcement_only: { status: 403, sentence: 'Only group admins may post in this announcement group.' },
  admin_reauth_required: { status: 403, sentence: 'Administrator rights need a recent sign-in; sign in again to confirm them.' },
  consent_required: { status: 403, sentence: "Accept your organization's current messaging policy before sending or receiving messages." },
  urgent_not_allowed: { status: 403, sentence: 'Your organization does not let you send urgent messages outside working hours.' },
  // 404: no such thing.
  not_found: { status: 404, sentence: 'There is no such endpoint.' },
  unknown_user: { status: 404, sentence: 'No such user.' },
  unknown_device: { status: 404, sentence: 'No such device, or it has not published keys yet.' },
  no_devices: { status: 404, sentence: 'This user has no registered devices.' },
  unknown_group: { status: 404, sentence: 'No such group.' },
  unknown_member: { status: 404, sentence: 'That user is not a member of this group.' },
  unknown_scim_group: { status: 404, sentence: 'No such SCIM group.' },
  unknown_attachment: { status: 404, sentence: 'No such attachment, or it was not shared with this device.' },
  // 409/410: the request conflicts with the current state.
  identity_conflict: { status: 409, sentence: 'This sign-in matches a provisioned account that belongs to a different identity; ask your administrator.' },
  identity_key_immutable: { status: 409, sentence: 'This device already has a different identity key; register a new device instead.' },
  /** Body: DeviceMismatch (common/wire/schemas.ts). */
  mismatched_devices: { status: 409, sentence: 'The envelopes do not match the current devices; refresh the device lists and retry.' },
  already_member: { status: 409, sentence: 'That user is already a member.' },
  group_full: { status: 409, sentence: 'The group has as many members as a group may have.' },
  directory_managed: { status: 409, sentence: 'This member belongs to the group through the company directory; change the directory group instead.' },
  no_wipe_requested: { status: 409, sentence: 'No wipe was requested for this device.' },
  policy_changed: { status: 409, sentence: 'The messaging policy changed; read the current version and accept that.' },
  working_hours_off: { status: 409, sentence: 'Your organization sets no working hours, so there are none to change.' },
  outside_org_hours: { status: 409, sentence: "Your working hours must stay within your organization's." },
  /** Body: DeviceMismatch (common/wire/schemas.ts). */
  stale_devices: { status: 410, sentence: 'Some devices were re-installed; fetch new key bundles for them and retry.' },
  length_required: { status: 411, sentence: 'Send an attachment with a Content-Length header.' },
  body_too_large: { status: 413, sentence: 'The request body is larger than this endpoint accepts.' },
  attachment_too_large: { status: 413, sentence: 'The file is larger than this server accepts for attachments.' },
  attachment_quota_exceeded: { status: 413, sentence: 'Your attachments on the server would exceed your quota; try again once recipients have fetched earlier files.' },
  unsupported_media_type: { status: 415, sentence: 'Send the request body as application/json.' },
  /** Extra field `retryAfterMs`; the response also carries a Retry-After header (seconds). */
  rate_limited: { status: 429, sentence: 'Too many requests; retry later.' },
  // 5xx: the server or its identity provider failed.
  /** Sent with the 5xx status of the failure (500 unless the framework chose another). */
  internal_error: { status: 500, sentence: 'The server failed to handle this request.' },
  idp_unavailable: { status: 502, sentence: 'The identity provider could not be reached.' },
  starting: { status: 503, sentence: 'The server is still starting.' },
  store_unavailable: { status: 503, sentence: 'The server cannot reach its database right now; retry in a moment.' },
  not_ready: { status: 503, sentence: 'This server cannot serve requests right now.' },
} as const satisfies Record<string, { status: number; sentence: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** The codes as constants, for comparisons: `err.code === ErrorCode.unknown_group`. */
export const ErrorCode = Object.freeze(Object.fromEntries(Object.keys(ERRORS).map((k) => [k, k]))) as { readonly [K in ErrorCode]: K };

export const isErrorCode = (v: unknown): v is ErrorCode => typeof v === 'string' && Object.hasOwn(ERRORS, v);

/** The codes as a schema (an enum of the table's keys), e.g. for the `error` of a WebSocket error frame. */
export const ErrorCodeSchema = Type.Enum(Object.keys(ERRORS) as ErrorCode[]);

/** The body of every non-SCIM error response; some codes add fields (e.g. DeviceMismatch, `serverTime`). */
export const ErrorBody = Type.Object({
  error: ErrorCodeSchema,
  message: Type.String(),
}, { additionalProperties: true });
export type ErrorBody = Static<typeof ErrorBody>;

/**
 * Codes the client makes up itself (never sent by the server): a response that breaks the contract, or an
 * HTTP error without an ErrorBody (a proxy's error page, say).
 */
const CLIENT_ERRORS = {
  invalid_response: 'The server sent a response that does not match the API contract.',
  http_error: 'The server answered with an HTTP error and no error body.',
} as const;
type ClientErrorCode = keyof typeof CLIENT_ERRORS;
export type ApiErrorCode = ErrorCode | ClientErrorCode;

export interface ParsedError {
  code: ApiErrorCode;
  message: string;
  /** The parsed JSON body (undefined if there was none or it was not JSON), with any extra fields. */
  body: unknown;
}

/**
 * The one reading of an error response, for the client and the tests: `text` is the raw body. An ErrorBody
 * gives its code and message; anything else is `http_error` with the status in the message.
 */
export function parseErrorBody(status: number, text: string, what = 'the request'): ParsedError {
  let body: unknown;
  if (text !== '') {
    try { body = JSON.parse(text); } catch { body = undefined; }
  }
  if (Value.Check(ErrorBody, body)) return { code: body.error, message: body.message, body };
  return { code: 'http_error', message: `${what} failed with HTTP ${status}`, body };
}
