// Wire contract of the SCIM 2.0 service provider under /scim/v2 (RFC 7643 resources, RFC 7644 protocol),
// as Microsoft Entra ID and Okta call it. Request bodies are checked by server/scim/schema.ts (attribute names
// are case-insensitive and the IdPs' quirks are normalized first); these TypeBox objects describe what the
// server answers: the SCIM routes declare them as their response schemas, and tests check responses with them.
import { Type, type Static, type TSchema } from 'typebox';

export const SCIM_CONTENT_TYPE = 'application/scim+json';

export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

/** Paging: `count` defaults to and is capped at this. */
export const SCIM_LIMITS = { maxResults: 200, maxOperations: 1000, maxMembers: 10_000, maxMultiValued: 100, maxString: 2048 } as const;

/** RFC 7644 §3.12 scimType values this server uses. */
export const ScimType = Type.Union([
  Type.Literal('invalidFilter'), Type.Literal('invalidSyntax'), Type.Literal('invalidValue'), Type.Literal('invalidPath'),
  Type.Literal('noTarget'), Type.Literal('mutability'), Type.Literal('uniqueness'), Type.Literal('tooMany'),
]);
export type ScimType = Static<typeof ScimType>;

export const ScimError = Type.Object({
  schemas: Type.Tuple([Type.Literal(URN.error)]),
  /** The HTTP status, as a string (RFC 7644 §3.12). */
  status: Type.String({ pattern: '^[45][0-9]{2}$' }),
  scimType: Type.Optional(ScimType),
  detail: Type.String(),
});
export type ScimError = Static<typeof ScimError>;

const ScimMeta = Type.Object({
  resourceType: Type.String(),
  created: Type.String(),
  lastModified: Type.String(),
  location: Type.String(),
  version: Type.String(),
});

const MultiValue = Type.Object({
  value: Type.Optional(Type.String()),
  display: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  primary: Type.Optional(Type.Boolean()),
}, { additionalProperties: true });

export const ScimUser = Type.Object({
  schemas: Type.Array(Type.String(), { minItems: 1 }),
  id: Type.String(),
  externalId: Type.Optional(Type.String()),
  userName: Type.String({ minLength: 1 }),
  name: Type.Optional(Type.Object({}, { additionalProperties: Type.String() })),
  displayName: Type.Optional(Type.String()),
  emails: Type.Optional(Type.Array(MultiValue)),
  active: Type.Boolean(),
  /** Read-only: the SCIM groups the user is a member of. */
  groups: Type.Array(Type.Object({ value: Type.String(), display: Type.String(), $ref: Type.String() })),
  meta: ScimMeta,
}, { additionalProperties: true });
export type ScimUser = Static<typeof ScimUser>;

const ScimGroupMember = Type.Object({
  value: Type.String(),
  display: Type.Optional(Type.String()),
  $ref: Type.String(),
  type: Type.Literal('User'),
});

export const ScimGroup = Type.Object({
  schemas: Type.Tuple([Type.Literal(URN.group)]),
  id: Type.String(),
  externalId: Type.Optional(Type.String()),
  displayName: Type.String({ minLength: 1 }),
  /** Absent when the request said excludedAttributes=members. */
  members: Type.Optional(Type.Array(ScimGroupMember)),
  meta: ScimMeta,
}, { additionalProperties: false });
export type ScimGroup = Static<typeof ScimGroup>;

/**
 * What GET/POST/PUT/PATCH answer for a user or group: the resource after `attributes` / `excludedAttributes`
 * (RFC 7644 §3.9), so only schemas, id and meta are sure to be there.
 */
export const ScimUserResponse = Type.Object({
  ...Type.Partial(ScimUser).properties,
  schemas: ScimUser.properties.schemas, id: ScimUser.properties.id, meta: ScimUser.properties.meta,
}, { additionalProperties: true });
export const ScimGroupResponse = Type.Object({
  ...Type.Partial(ScimGroup).properties,
  schemas: ScimGroup.properties.schemas, id: ScimGroup.properties.id, meta: ScimGroup.properties.meta,
}, { additionalProperties: false });

/** ServiceProviderConfig, ResourceType and Schema documents (RFC 7643 §5–7), described by their schemas URN only. */
export const ScimDiscoveryDocument = Type.Object({
  schemas: Type.Array(Type.String(), { minItems: 1 }),
}, { additionalProperties: true });

export const ScimListResponse = <T extends TSchema>(resource: T) => Type.Object({
  schemas: Type.Tuple([Type.Literal(URN.listResponse)]),
  totalResults: Type.Integer({ minimum: 0 }),
  startIndex: Type.Integer({ minimum: 1 }),
  itemsPerPage: Type.Integer({ minimum: 0 }),
  Resources: Type.Array(resource),
});
