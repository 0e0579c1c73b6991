// The wire contract between the Parley client and the relay server.
// One schema per wire format: the server validates requests and declares its responses with these
// (Fastify + TypeBox) and the client validates responses with the very same objects. Error bodies and
// their codes: common/errors.ts. Like all of common/, no I/O and no imports outside common/.
import { Type, type Static } from 'typebox';
import { Format } from 'typebox/format';
import { ErrorCode, ErrorCodeSchema } from '../errors.ts';
import { OrgRules } from './org-rules.ts';
import { Availability } from './workplace.ts';
import { BASE64_FORMAT, isBase64 } from './base64.ts';

/** Limits are part of the contract: the client splits work so it never exceeds them. */
export const LIMITS = {
  bodyBytes: 1024 * 1024,
  envelopesPerSend: 100,
  envelopeContentChars: 96 * 1024,
  preKeysPerUpload: 100,
  idTokenChars: 16 * 1024,
  deviceNameChars: 64,
  searchResults: 50,
} as const;

// Registered wherever these schemas are loaded (TypeBox passes a format it does not know): the server's Ajv
// registers the same function (server/app.ts) and refuses to compile a schema whose format it lacks.
Format.Set(BASE64_FORMAT, isBase64);

/** Standard (padded) base64 (common/wire/base64.ts); decoding is checked again by the server. */
export const Base64 = (maxLength: number) =>
  Type.String({ format: BASE64_FORMAT, contentEncoding: 'base64', minLength: 4, maxLength });

/** Opaque server-assigned user id; never an email or phone number. */
export const UserId = Type.String({ pattern: '^u_[A-Za-z0-9_-]{22}$' });
export const DeviceId = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const RegistrationId = Type.Integer({ minimum: 1, maximum: 16380 });
const KeyId = Type.Integer({ minimum: 0, maximum: 0xffffff });
/** 33-byte Curve25519 public keys (0x05 prefix) encode to 44 base64 chars. */
export const PublicKey = Base64(44);
/** 64-byte XEdDSA signatures encode to 88 base64 chars. */
const Signature = Base64(88);
export const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' });

/** The query of every route that takes none: unknown parameters are refused, not ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

// ---- health and config ----
/** GET /healthz. */
export const Health = Type.Object({ ok: Type.Literal(true) });
/**
 * GET /readyz (load balancers): this node can serve — its store answers and its delivery bus, if it has one, is
 * connected. Otherwise 503 ErrorBody `not_ready` saying which.
 */
export const Readiness = Type.Object({
  ok: Type.Literal(true),
  store: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
  bus: Type.Union([Type.Literal('none'), Type.Literal('nats')]),
});
export type Readiness = Static<typeof Readiness>;

export const ClientConfig = Type.Object({
  issuer: Type.String(),
  clientId: Type.String(),
  scopes: Type.Array(Type.String()),
  devIdp: Type.Boolean(),
  organization: Type.String(),
  limits: Type.Object({
    envelopesPerSend: Type.Integer(),
    preKeysPerUpload: Type.Integer(),
    bodyBytes: Type.Integer(),
  }),
});
export type ClientConfig = Static<typeof ClientConfig>;

/** The company's messaging policy; users accept a version before they can chat (GET /v1/policy). */
export const MessagingPolicy = Type.Object({
  version: Type.String({ minLength: 1, maxLength: 64 }),
  text: Type.String({ minLength: 1, maxLength: 20_000 }),
  /** The organization's workplace rules (common/wire/org-rules.ts); absent = none set. */
  rules: Type.Optional(OrgRules),
});
export type MessagingPolicy = Static<typeof MessagingPolicy>;

// ---- device registration ----
/** A single-use nonce the client must put in its OIDC authorization request; bound into the ID token. */
export const RegistrationNonce = Type.Object({
  nonce: Type.String({ minLength: 22, maxLength: 64 }),
  expiresAt: Type.Integer(),
});
export type RegistrationNonce = Static<typeof RegistrationNonce>;

export const RegisterDeviceRequest = Type.Object({
  idToken: Type.String({ minLength: 10, maxLength: LIMITS.idTokenChars }),
  registrationId: RegistrationId,
  name: Type.String({ minLength: 1, maxLength: LIMITS.deviceNameChars }),
  /** The device's Ed25519 lifecycle key (raw 32 bytes): signs status checks and wipe receipts. */
  lifecycleKey: Base64(44),
  /** 'Linux', 'macOS', 'Windows', …: shown next to the name in the owner's and the admin's device lists. */
  platform: Type.Optional(Type.String({ maxLength: 32 })),
}, { additionalProperties: false });
export type RegisterDeviceRequest = Static<typeof RegisterDeviceRequest>;

export const UserProfile = Type.Object({
  userId: UserId,
  email: Type.String(),
  name: Type.String(),
});
export type UserProfile = Static<typeof UserProfile>;

export const RegisterDeviceResponse = Type.Object({
  userId: UserId,
  deviceId: DeviceId,
  /** `<userId>.<deviceId>.<secret>`; sent as `Authorization: Bearer …`. The server keeps only a hash. */
  credential: Type.String({ minLength: 20, maxLength: 200 }),
  email: Type.String(),
  name: Type.String(),
  orgAdmin: Type.Boolean(),
  /** The server's Ed25519 key for offline leases (raw 32 bytes); the device pins it. */
  leasePublicKey: Base64(44),
  offlineLockHours: Type.Integer({ minimum: 1 }),
  offlineWipeDays: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
});
export type RegisterDeviceResponse = Static<typeof RegisterDeviceResponse>;

/**
 * POST /v1/devices/me/claims: a fresh ID token of the device's own user (nonce-bound from POST
 * /v1/devices/nonce, or a nonce-less device-grant token, used once — as at registration) renews the profile and
 * the groups claim without a new device. Admin rights from the groups claim need one every 12 hours (403
 * admin_reauth_required). Answers WhoAmI; 403 forbidden for another person's token.
 */
export const RefreshClaimsRequest = Type.Object({
  idToken: Type.String({ minLength: 10, maxLength: LIMITS.idTokenChars }),
}, { additionalProperties: false });
export type RefreshClaimsRequest = Static<typeof RefreshClaimsRequest>;

export const WhoAmI = Type.Object({
  userId: UserId,
  deviceId: DeviceId,
  email: Type.String(),
  name: Type.String(),
  issuer: Type.String(),
  orgAdmin: Type.Boolean(),
});
export type WhoAmI = Static<typeof WhoAmI>;

// ---- prekeys ----
export const PreKey = Type.Object({ keyId: KeyId, publicKey: PublicKey }, { additionalProperties: false });
const SignedPreKey = Type.Object(
  { keyId: KeyId, publicKey: PublicKey, signature: Signature },
  { additionalProperties: false },
);
export type PreKey = Static<typeof PreKey>;

/** First upload must carry identityKey and signedPreKey; later uploads refill preKeys and may rotate the signed prekey. */
export const UploadKeysRequest = Type.Object({
  identityKey: Type.Optional(PublicKey),
  signedPreKey: Type.Optional(SignedPreKey),
  preKeys: Type.Array(PreKey, { maxItems: LIMITS.preKeysPerUpload }),
}, { additionalProperties: false });
export type UploadKeysRequest = Static<typeof UploadKeysRequest>;

export const PreKeyCount = Type.Object({ count: Type.Integer({ minimum: 0 }) });

export const DeviceBundle = Type.Object({
  deviceId: DeviceId,
  registrationId: RegistrationId,
  identityKey: PublicKey,
  signedPreKey: SignedPreKey,
  /** Absent when the device ran out of one-time prekeys (X3DH still works, with less forward secrecy). */
  preKey: Type.Optional(PreKey),
});
export type DeviceBundle = Static<typeof DeviceBundle>;

export const KeyBundles = Type.Object({
  userId: UserId,
  devices: Type.Array(DeviceBundle),
});
export type KeyBundles = Static<typeof KeyBundles>;

export const UserIdParams = Type.Object({ userId: UserId });
export const UserDeviceParams = Type.Object({ userId: UserId, deviceId: Type.String({ pattern: '^[1-9][0-9]{0,6}$' }) });

// ---- directory ----
export const DeviceRef = Type.Object({ deviceId: DeviceId, registrationId: RegistrationId });
export type DeviceRef = Static<typeof DeviceRef>;

/** A device as the directory shows it: with its public identity key, so safety numbers need no prekey. */
const DirectoryDevice = Type.Object({
  deviceId: DeviceId,
  registrationId: RegistrationId,
  identityKey: PublicKey,
});

export const DirectoryEntry = Type.Object({
  userId: UserId,
  email: Type.String(),
  name: Type.String(),
  devices: Type.Array(DirectoryDevice),
  /** Present while the person is off work (common/wire/workplace.ts): a message sent now is held until offUntil. */
  availability: Type.Optional(Availability),
});
export type DirectoryEntry = Static<typeof DirectoryEntry>;

export const DirectoryLookupQuery = Type.Object({ email: Email }, { additionalProperties: false });
export const DirectorySearchQuery = Type.Object(
  { q: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
/** POST /v1/directory/lookup and /v1/directory/search take these as the body: no email or name in a URL (access logs). */
export const DirectoryLookupRequest = DirectoryLookupQuery;
export const DirectorySearchRequest = DirectorySearchQuery;
export const DirectorySearchResult = Type.Object({ results: Type.Array(DirectoryEntry, { maxItems: LIMITS.searchResults }) });

// ---- sending ----
/** Signal message types: 1 = WhisperMessage (session exists), 3 = PreKeyWhisperMessage (first message). */
export const CiphertextType = Type.Union([Type.Literal(1), Type.Literal(3)]);

export const OutgoingEnvelope = Type.Object({
  userId: UserId,
  deviceId: DeviceId,
  registrationId: RegistrationId,
  type: CiphertextType,
  content: Base64(LIMITS.envelopeContentChars),
}, { additionalProperties: false });
export type OutgoingEnvelope = Static<typeof OutgoingEnvelope>;

/**
 * A client's id for one send (16–64 base64url characters, random): a retry with the same id — after a lost
 * response, even re-encrypted — is answered with the first send's result and stored nothing (kept 2 hours).
 */
export const SendId = Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' });

/**
 * One request carries one envelope for every device of the recipient and every other device of the
 * sender. A missing or extra device → 409 MismatchedDevices; a stale registrationId → 410 StaleDevices.
 */
export const SendRequest = Type.Object({
  recipient: UserId,
  envelopes: Type.Array(OutgoingEnvelope, { minItems: 1, maxItems: LIMITS.envelopesPerSend }),
  /** Optional: makes the send idempotent (see SendId). */
  sendId: Type.Optional(SendId),
  /**
   * Optional: this 1:1 send concerns a group (a delivery receipt for a group message). The server checks that
   * sender and recipient are both members (in a confidential group, one of them an admin; else 403
   * not_a_member) and stamps `aboutGroup` on the envelopes, which the recipient compares with the group its
   * payload names. Never makes the send a group message (`group` stays unset).
   */
  aboutGroup: Type.Optional(Type.String({ pattern: '^g_[A-Za-z0-9_-]{22}$' })),
  /** Deliver at once even if the recipient is off work, if the org allows it (403 urgent_not_allowed); audited. */
  urgent: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type SendRequest = Static<typeof SendRequest>;

export const SendResponse = Type.Object({
  serverTimestamp: Type.Integer(),
  /** Recipients (userId → milliseconds) who are off work: their copies are held and delivered then. */
  heldUntil: Type.Optional(Type.Record(Type.String(), Type.Integer())),
});

export const DeviceAddress = Type.Object({ userId: UserId, deviceId: DeviceId });
export type DeviceAddress = Static<typeof DeviceAddress>;

/** Body of 409 (missing/extra) and 410 (stale): the current device lists of the users involved. */
export const DeviceMismatch = Type.Object({
  error: Type.Union([Type.Literal(ErrorCode.mismatched_devices), Type.Literal(ErrorCode.stale_devices)]),
  message: Type.String(),
  missing: Type.Array(DeviceAddress),
  extra: Type.Array(DeviceAddress),
  stale: Type.Array(DeviceAddress),
  devices: Type.Record(Type.String(), Type.Array(DeviceRef)),
});
export type DeviceMismatch = Static<typeof DeviceMismatch>;

// ---- delivery over WebSocket (GET /v1/ws, same bearer credential) ----
export const IncomingEnvelope = Type.Object({
  /** Server-assigned, unique per destination device; the client acks it and de-duplicates on it. */
  id: Type.String({ pattern: '^[0-9]{1,18}$' }),
  sourceUser: UserId,
  sourceDevice: DeviceId,
  type: CiphertextType,
  content: Base64(LIMITS.envelopeContentChars),
  serverTimestamp: Type.Integer(),
  /**
   * Set by the server when it relayed the envelope for a group, after checking that the sender is a member
   * who may post there. The client accepts a group message only when the group named inside the
   * ciphertext equals this: nobody can slip a message into a group through a 1:1 send.
   */
  group: Type.Optional(Type.String({ pattern: '^g_[A-Za-z0-9_-]{22}$' })),
  /** Set by the server on a 1:1 send about this group (SendRequest.aboutGroup), after its membership check. */
  aboutGroup: Type.Optional(Type.String({ pattern: '^g_[A-Za-z0-9_-]{22}$' })),
});
export type IncomingEnvelope = Static<typeof IncomingEnvelope>;

export const ServerFrame = Type.Union([
  Type.Object({ type: Type.Literal('envelope'), envelope: IncomingEnvelope }),
  /** Sent once after the stored queue has been pushed: everything older than now was delivered. */
  Type.Object({ type: Type.Literal('queue-empty') }),
  /** An admin wiped this device: run the wipe now (the socket closes with 4001 right after). */
  Type.Object({ type: Type.Literal('wipe') }),
  /** Something changed in a group this user is (or just stopped being) in: fetch its events. No content. */
  Type.Object({ type: Type.Literal('group-changed'), group: Type.String({ pattern: '^g_[A-Za-z0-9_-]{22}$' }) }),
  /**
   * This device (`deviceId`: every device of the user gets the frame; only the named one acts) has fewer than 20
   * one-time prekeys left on the server: upload more (PUT /v1/keys). Sent at most once a minute per device.
   */
  Type.Object({ type: Type.Literal('prekeys-low'), deviceId: DeviceId, count: Type.Integer({ minimum: 0 }) }),
  /** The server could not read a client frame (error: invalid_frame). */
  Type.Object({ type: Type.Literal('error'), error: ErrorCodeSchema, message: Type.String() }),
  /**
   * The answer to a `send` frame (common/wire/socket-send.ts), paired by `req`: the HTTP route's status and body —
   * SendResponse for 200, DeviceMismatch for 409/410, ErrorBody otherwise (checked by status, as over HTTP).
   */
  Type.Object({
    type: Type.Literal('send-result'),
    req: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }),
    status: Type.Integer({ minimum: 100, maximum: 599 }),
    body: Type.Unknown(),
  }),
]);
export type ServerFrame = Static<typeof ServerFrame>;

export const ClientFrame = Type.Union([
  Type.Object({ type: Type.Literal('ack'), id: Type.String({ pattern: '^[0-9]{1,18}$' }) }, { additionalProperties: false }),
]);
export type ClientFrame = Static<typeof ClientFrame>;
