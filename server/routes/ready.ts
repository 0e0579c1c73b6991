// GET /readyz: whether a load balancer should send this node traffic. Unlike /healthz (the process is up), it
// asks the store for one read and checks the delivery bus is connected; 503 not_ready names what failed.
import { NoQuery, Readiness } from '../../common/wire/schemas.ts';
import type { Bus } from '../bus/types.ts';
import type { App, AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { replies } from '../responses.ts';

/** How long the store may take to answer before the node counts as not ready. */
const STORE_CHECK_MS = 2_000;

export interface ReadinessChecks {
  store: 'sqlite' | 'postgres';
  /** One round trip to the store; throws if it cannot answer. */
  pingStore: () => Promise<void>;
  bus: Bus | undefined;
}

export function readinessRoutes(app: App, ctx: AppContext, checks: ReadinessChecks): void {
  app.get('/readyz', { schema: { querystring: NoQuery, response: replies({ 200: Readiness }) } }, async (): Promise<Readiness> => {
    const failures: string[] = [];
    if (!ctx.identity) failures.push('still starting');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        checks.pingStore(),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${STORE_CHECK_MS} ms`)), STORE_CHECK_MS); }),
      ]);
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      failures.push(`the ${checks.store} store does not answer (${cause instanceof Error ? cause.message : (err as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    if (checks.bus && !checks.bus.healthy()) failures.push('the delivery bus (NATS) is disconnected');
    if (failures.length > 0) throw new ApiError('not_ready', `Not ready: ${failures.join('; ')}.`);
    return { ok: true, store: checks.store, bus: checks.bus ? 'nats' : 'none' };
  });
}
