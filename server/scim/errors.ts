// SCIM errors (RFC 7644 §3.12): every failure under /scim/v2 is answered in this shape.
import { URN, type ScimError as ScimErrorBody, type ScimType } from '../../common/wire/scim.ts';

export class ScimError extends Error {
  constructor(readonly status: number, readonly scimType: ScimType | undefined, detail: string) {
    super(detail);
    this.name = 'ScimError';
  }

  body(): ScimErrorBody {
    return { schemas: [URN.error], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.message };
  }
}

export const badRequest = (scimType: ScimType, detail: string) => new ScimError(400, scimType, detail);
export const notFound = (what: string, id: string) => new ScimError(404, undefined, `${what} ${JSON.stringify(id.slice(0, 100))} not found.`);
export const conflict = (detail: string) => new ScimError(409, 'uniqueness', detail);
