// The resource schemas this service provider supports (RFC 7643 §4 core User and Group, §4.3 enterprise
// extension), used three ways: served by GET /Schemas, to validate and canonicalize request bodies strictly
// (attribute names are case-insensitive; unknown attributes and wrong types are refused), and to check PATCH
// paths before anything touches a resource (so a path like "__proto__.x" never reaches the patch library).
// Schemas this server does not know are another matter (finding 11): IdPs name their own (Entra's Create Group
// carries ".../ADSCIM/2.0/Group") and admins map custom extensions, so an unknown schema URI in `schemas`, an
// attribute block under an unknown extension URN, and a PATCH path into one are ignored, never refused.
import { parse as parseFilter, type Filter } from 'scim2-parse-filter';
import { SCIM_LIMITS, URN } from '../../common/wire/scim.ts';
import { badRequest } from './errors.ts';

type AttrType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';

interface AttrDef {
  name: string;
  type: AttrType;
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: Mutability;
  returned?: 'always' | 'never' | 'default' | 'request';
  uniqueness?: 'none' | 'server' | 'global';
  description?: string;
  subAttributes?: AttrDef[];
  referenceTypes?: string[];
  /** Entra sends some complex attributes (enterprise manager) as a bare string: it becomes `{ [this]: string }`. */
  fromString?: string;
}

const s = (name: string, extra: Partial<AttrDef> = {}): AttrDef => ({ name, type: 'string', ...extra });
const b = (name: string, extra: Partial<AttrDef> = {}): AttrDef => ({ name, type: 'boolean', ...extra });
const multi = (name: string, subAttributes: AttrDef[], extra: Partial<AttrDef> = {}): AttrDef =>
  ({ name, type: 'complex', multiValued: true, subAttributes, ...extra });
const valueTypePrimary = (valueType: AttrType = 'string') =>
  [{ name: 'value', type: valueType } as AttrDef, s('display'), s('type'), b('primary')];

const USER_ATTRIBUTES: AttrDef[] = [
  s('userName', { required: true, uniqueness: 'server', description: 'Unique identifier for the user, here the work email address.' }),
  {
    name: 'name', type: 'complex', subAttributes: [
      s('formatted'), s('familyName'), s('givenName'), s('middleName'), s('honorificPrefix'), s('honorificSuffix'),
    ],
  },
  s('displayName'), s('nickName'), { name: 'profileUrl', type: 'reference', referenceTypes: ['external'] },
  s('title'), s('userType'), s('preferredLanguage'), s('locale'), s('timezone'),
  b('active'),
  s('password', { mutability: 'writeOnly', returned: 'never', description: 'Accepted for compatibility and discarded: Parley never uses passwords.' }),
  multi('emails', valueTypePrimary()),
  multi('phoneNumbers', valueTypePrimary()),
  multi('ims', valueTypePrimary()),
  multi('photos', valueTypePrimary('reference')),
  multi('addresses', [
    s('formatted'), s('streetAddress'), s('locality'), s('region'), s('postalCode'), s('country'), s('type'), b('primary'),
  ]),
  multi('groups', [s('value'), { name: '$ref', type: 'reference' }, s('display'), s('type')], { mutability: 'readOnly' }),
  multi('entitlements', valueTypePrimary()),
  multi('roles', valueTypePrimary()),
  multi('x509Certificates', valueTypePrimary('binary')),
];

const ENTERPRISE_ATTRIBUTES: AttrDef[] = [
  s('employeeNumber'), s('costCenter'), s('organization'), s('division'), s('department'),
  {
    name: 'manager', type: 'complex', fromString: 'value', subAttributes: [
      s('value'), { name: '$ref', type: 'reference' }, s('displayName', { mutability: 'readOnly' }),
    ],
  },
];

const GROUP_ATTRIBUTES: AttrDef[] = [
  s('displayName', { required: true, uniqueness: 'server' }),
  multi('members', [
    s('value', { mutability: 'immutable' }), { name: '$ref', type: 'reference', mutability: 'immutable' },
    s('display'), s('type', { mutability: 'immutable' }),
  ]),
];

export type Kind = 'User' | 'Group';

/** Attributes common to every resource (RFC 7643 §3.1), by lower-case name. */
const COMMON = new Set(['schemas', 'id', 'externalid', 'meta']);

function lookup(defs: AttrDef[], name: string): AttrDef | undefined {
  const lower = name.toLowerCase();
  return defs.find((d) => d.name.toLowerCase() === lower);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A schema URI (RFC 7643 §3: a URN, though some IdPs use URLs) rather than an attribute name. */
const isSchemaUri = (s: string) => /^(urn:|https?:\/\/)/i.test(s);

/**
 * A PATCH path or attribute key under a schema URI this server does not know (a custom extension): the caller
 * drops it. Paths under the core or the enterprise URN are not this.
 */
export function isUnknownExtension(kind: Kind, pathOrKey: string): boolean {
  if (!isSchemaUri(pathOrKey)) return false;
  const lower = pathOrKey.toLowerCase();
  return !schemaDefs(kind).some(({ urn }) => lower === urn.toLowerCase() || lower.startsWith(`${urn.toLowerCase()}:`));
}

function conformValue(def: AttrDef, value: unknown, where: string): unknown {
  if (def.multiValued) {
    if (!Array.isArray(value)) throw badRequest('invalidValue', `"${where}" must be an array.`);
    if (value.length > SCIM_LIMITS.maxMultiValued) throw badRequest('tooMany', `"${where}" has more than ${SCIM_LIMITS.maxMultiValued} values.`);
    return value.map((v, i) => conformSingle(def, v, `${where}[${i}]`)).filter((v) => v !== undefined);
  }
  return conformSingle(def, value, where);
}

function conformSingle(def: AttrDef, value: unknown, where: string): unknown {
  if (value === null) return undefined; // null = unassigned (RFC 7643 §2.5)
  switch (def.type) {
    case 'complex': {
      if (typeof value === 'string' && def.fromString) value = { [def.fromString]: value };
      if (!isObject(value)) throw badRequest('invalidValue', `"${where}" must be an object.`);
      return conformObject(def.subAttributes ?? [], value, where, false);
    }
    case 'boolean':
      // Entra sends booleans as the strings "True"/"False".
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      if (typeof value !== 'boolean') throw badRequest('invalidValue', `"${where}" must be a boolean.`);
      return value;
    case 'integer':
      if (!Number.isSafeInteger(value)) throw badRequest('invalidValue', `"${where}" must be an integer.`);
      return value;
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest('invalidValue', `"${where}" must be a number.`);
      return value;
    default: {
      if (typeof value !== 'string') throw badRequest('invalidValue', `"${where}" must be a string.`);
      if (value.length > SCIM_LIMITS.maxString) throw badRequest('invalidValue', `"${where}" is longer than ${SCIM_LIMITS.maxString} characters.`);
      if (def.type === 'dateTime' && Number.isNaN(Date.parse(value))) throw badRequest('invalidValue', `"${where}" must be an xsd:dateTime.`);
      return value;
    }
  }
}

/** Validates an object's attributes against `defs`; returns them under their canonical names. Read-only ones are dropped. */
function conformObject(defs: AttrDef[], input: Record<string, unknown>, where: string, topLevel: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (topLevel && COMMON.has(key.toLowerCase())) continue;
    const def = lookup(defs, key);
    const at = where ? `${where}.${key}` : key;
    if (!def) throw badRequest('invalidSyntax', `Unknown attribute "${at}".`);
    const v = conformValue(def, value, at);
    if (def.mutability === 'readOnly' || def.mutability === 'writeOnly' || v === undefined) continue;
    out[def.name] = v;
  }
  return out;
}

interface Conformed {
  /** Canonical attributes (extension attributes under the extension URN), without id, meta, schemas. */
  attrs: Record<string, unknown>;
  externalId: string | null;
}

/**
 * Strictly validates a full User or Group representation (POST, PUT, and the result of a PATCH).
 * `schemas` must name the core schema and may name only schemas this server supports.
 */
export function conformResource(kind: Kind, input: unknown): Conformed {
  if (!isObject(input)) throw badRequest('invalidSyntax', 'The request body must be a JSON object.');
  const core = kind === 'User' ? URN.user : URN.group;
  const schemasKey = Object.keys(input).find((k) => k.toLowerCase() === 'schemas');
  const schemas = schemasKey === undefined ? undefined : input[schemasKey];
  if (!Array.isArray(schemas) || schemas.some((x) => typeof x !== 'string')) {
    throw badRequest('invalidSyntax', '"schemas" must be an array of schema URNs.');
  }
  // Other schema URIs than ours are fine: what they describe is ignored below.
  if (!(schemas as string[]).some((u) => u.toLowerCase() === core.toLowerCase())) throw badRequest('invalidValue', `"schemas" must contain "${core}".`);

  const coreInput: Record<string, unknown> = {};
  let extension: Record<string, unknown> | undefined;
  let externalId: string | null = null;
  for (const [key, value] of Object.entries(input)) {
    const lower = key.toLowerCase();
    if (kind === 'User' && lower === URN.enterpriseUser.toLowerCase()) {
      if (value === null) continue;
      if (!isObject(value)) throw badRequest('invalidValue', `"${URN.enterpriseUser}" must be an object.`);
      extension = conformObject(ENTERPRISE_ATTRIBUTES, value, URN.enterpriseUser, false);
      continue;
    }
    if (isUnknownExtension(kind, key)) continue; // an extension we do not know: not stored
    if (lower === 'externalid') {
      if (value === null) continue;
      if (typeof value !== 'string' || value.length === 0 || value.length > 1024) throw badRequest('invalidValue', '"externalId" must be a non-empty string.');
      externalId = value;
      continue;
    }
    if (lower === 'meta' && value !== null && !isObject(value)) throw badRequest('invalidValue', '"meta" must be an object.');
    if (lower === 'id' && value !== null && typeof value !== 'string') throw badRequest('invalidValue', '"id" must be a string.');
    coreInput[key] = value;
  }
  const attrs = conformObject(kind === 'User' ? USER_ATTRIBUTES : GROUP_ATTRIBUTES, coreInput, '', true);
  const required = kind === 'User' ? 'userName' : 'displayName';
  if (typeof attrs[required] !== 'string' || (attrs[required] as string).trim() === '') {
    throw badRequest('invalidValue', `"${required}" is required.`);
  }
  if (extension && Object.keys(extension).length > 0) attrs[URN.enterpriseUser] = extension;
  return { attrs, externalId };
}

// ---- PATCH paths ----

/** Known attributes by schema URN (lower-case) for path resolution. */
function schemaDefs(kind: Kind): Array<{ urn: string; defs: AttrDef[] }> {
  return kind === 'User'
    ? [{ urn: URN.enterpriseUser, defs: ENTERPRISE_ATTRIBUTES }, { urn: URN.user, defs: USER_ATTRIBUTES }]
    : [{ urn: URN.group, defs: GROUP_ATTRIBUTES }];
}

const PATH = /^([A-Za-z$][\w$-]*)(?:\[(.+)\])?(?:\.([A-Za-z$][\w$-]*))?$/s;

function filterAttrPaths(f: Filter): string[] {
  switch (f.op) {
    case 'and': case 'or': return f.filters.flatMap(filterAttrPaths);
    case 'not': return filterAttrPaths(f.filter);
    case '[]': return [f.attrPath, ...filterAttrPaths(f.valFilter)];
    default: return [f.attrPath];
  }
}

/**
 * Checks a PATCH path against the schema (RFC 7644 §3.5.2 `attrPath / valuePath [subAttr]`) and returns it
 * canonicalized: known attribute names in their canonical case, the core URN prefix dropped, an extension's kept.
 * `externalId` is allowed too. Anything else → 400 invalidPath.
 */
export function canonicalPath(kind: Kind, path: string): string {
  if (path.length === 0 || path.length > 512) throw badRequest('invalidPath', 'Invalid PATCH path.');
  let rest = path;
  let prefix = '';
  let defs = schemaDefs(kind).at(-1)!.defs;
  for (const { urn, defs: d } of schemaDefs(kind)) {
    if (rest.toLowerCase().startsWith(`${urn.toLowerCase()}:`)) {
      rest = rest.slice(urn.length + 1);
      defs = d;
      prefix = urn === URN.enterpriseUser ? `${URN.enterpriseUser}:` : '';
      break;
    }
  }
  const m = PATH.exec(rest);
  if (!m) throw badRequest('invalidPath', `Invalid PATCH path "${path}".`);
  const [, attrName, filterText, subName] = m as unknown as [string, string, string | undefined, string | undefined];
  if (prefix === '' && attrName.toLowerCase() === 'externalid' && !filterText && !subName) return 'externalId';
  const def = lookup(defs, attrName);
  if (!def || def.mutability === 'readOnly') throw badRequest('invalidPath', `Unknown or read-only attribute in PATCH path "${path}".`);
  let out = `${prefix}${def.name}`;
  if (filterText !== undefined) {
    if (!def.multiValued) throw badRequest('invalidPath', `"${def.name}" is not multi-valued; it cannot take a filter.`);
    let f: Filter;
    try {
      f = parseFilter(filterText);
    } catch {
      throw badRequest('invalidFilter', `Invalid filter in PATCH path "${path}".`);
    }
    for (const p of filterAttrPaths(f)) {
      if (!lookup(def.subAttributes ?? [], p)) throw badRequest('invalidPath', `Unknown sub-attribute "${p}" in PATCH path "${path}".`);
    }
    out += `[${filterText}]`;
  }
  if (subName !== undefined) {
    const sub = lookup(def.subAttributes ?? [], subName);
    if (!sub || def.type !== 'complex') throw badRequest('invalidPath', `Unknown sub-attribute in PATCH path "${path}".`);
    out += `.${sub.name}`;
  }
  return out;
}

// ---- GET /Schemas ----

function describe(a: AttrDef): Record<string, unknown> {
  return {
    name: a.name, type: a.type, multiValued: a.multiValued ?? false, description: a.description ?? a.name,
    required: a.required ?? false, caseExact: a.caseExact ?? false, mutability: a.mutability ?? 'readWrite',
    returned: a.returned ?? 'default', uniqueness: a.uniqueness ?? 'none',
    ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : a.type === 'reference' ? { referenceTypes: ['User', 'Group', 'external'] } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(describe) } : {}),
  };
}

export function schemaDocuments(baseUrl: string): Array<Record<string, unknown>> {
  const doc = (id: string, name: string, description: string, attributes: AttrDef[]) => ({
    schemas: [URN.schema], id, name, description, attributes: attributes.map(describe),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  });
  return [
    doc(URN.user, 'User', 'User Account', USER_ATTRIBUTES),
    doc(URN.enterpriseUser, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_ATTRIBUTES),
    doc(URN.group, 'Group', 'Group', GROUP_ATTRIBUTES),
  ];
}
