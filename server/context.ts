import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IdTokenVerifier } from './auth.ts';
import type { DeliveryHub } from './delivery.ts';
import type { ServerStore } from './store/types.ts';
import type { LeaseKey } from './lease-key.ts';
import type { ServerLimits } from './limits/index.ts';
import type { ConnectionGuard } from './limits/connections.ts';
import type { Workplace } from './workplace/index.ts';
import type { SendTally } from './logging.ts';
import type { HeldReleaser } from './workplace/release.ts';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What route modules share. `identity` is filled in after listen when the dev IdP needs the bound port. */
export interface AppContext {
  store: ServerStore;
  hub: DeliveryHub;
  now: () => number;
  adminGroup: string;
  organization: string;
  devIdp: boolean;
  identity: { issuer: string; clientId: string; verifier: IdTokenVerifier } | undefined;
  authenticate: (req: import('fastify').FastifyRequest) => Promise<void>;
  /** Signs offline leases; its public half is pinned by devices at registration. */
  leaseKey: LeaseKey;
  offlinePolicy: { offlineLockHours: number; offlineWipeDays: number | null };
  /** The rate limiters (server/limits/). */
  limits: ServerLimits;
  /** Per-address connection counting; a delivery socket is exempted once authenticated. */
  connections: ConnectionGuard;
  /** Working hours, held delivery, urgent overrides, consent on record (server/workplace/). */
  workplace: Workplace;
  /** Moves held envelopes into the live queue when due (server/workplace/release.ts). */
  releaser: HeldReleaser;
  /** Accepted sends, logged as one line per second (server/logging.ts). */
  sends: SendTally;
}
