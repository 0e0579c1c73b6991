// The schema, one migration per file, applied in version order by ../migrate.ts. Append only: never edit or
// renumber a shipped migration (databases out there recorded it as applied); add the next file instead.
import { migration as initial } from './0001-initial.ts';
import { migration as usedIdTokens } from './0002-used-id-tokens.ts';
import { migration as deviceLifecycle } from './0003-device-lifecycle.ts';
import { migration as scim } from './0004-scim.ts';
import { migration as chatGroups } from './0005-chat-groups.ts';
import { migration as envelopeGroup } from './0006-envelope-group.ts';
import { migration as devicePlatform } from './0007-device-platform.ts';
import { migration as hardening } from './0008-hardening.ts';
import { migration as attachments } from './0009-attachments.ts';
import { migration as workplace } from './0010-workplace.ts';
import { migration as auditTrail } from './0011-audit-trail.ts';
import { migration as retention } from './0012-retention.ts';
import { migration as business } from './0013-business.ts';
import { migration as sendRecords } from './0014-send-records.ts';

export interface Migration {
  /** 1, 2, 3…: the file's number. */
  version: number;
  name: string;
  /** One or more statements, run in one transaction. */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [initial, usedIdTokens, deviceLifecycle, scim, chatGroups, envelopeGroup, devicePlatform, hardening,
  attachments, workplace, auditTrail, retention, business, sendRecords];
