// Handlers for safety numbers: show one, mark it verified (compared out of band).
import type { SafetyNumberView } from '../../../common/app-api/contract.ts';
import { UsageError } from '../../core/messenger.ts';
import type { AppHost, Handlers } from '../host.ts';

export function trustHandlers(host: AppHost): Pick<Handlers, 'safety.get' | 'safety.markVerified'> {
  const safety = async (userId: string, markVerified: boolean): Promise<SafetyNumberView> => {
    const m = host.requireReady();
    const contact = m.contact(userId);
    if (!contact) throw new UsageError('unknown contact');
    if (markVerified) await m.markVerified(contact.email);
    const sn = await m.safetyNumber(contact.email);
    host.emit({ type: 'conversations' });
    return { userId, email: contact.email, name: contact.name, safetyNumber: sn.safetyNumber, status: sn.status };
  };
  return {
    'safety.get': async ({ userId }) => safety(userId, false),
    'safety.markVerified': async ({ userId }) => safety(userId, true),
  };
}
