// `parley disappearing (EMAIL | --group GROUP) [30s|1h|1d|1w|off] [--json]`: sets a chat's disappearing-messages
// timer (sent end-to-end encrypted to the others and your own devices), or shows it when no value is given.
// Values: 30s, 1h, 1d, 1w, off — or any <n>s|m|h|d|w within the org's maximum. A bad value is exit 2, one line.
import type { Messenger } from '../../core/messenger.ts';
import { timerSpan } from '../../core/retention/rules.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 7 * 86_400 };

/** "off" → null; "<n><unit>" → seconds. Anything else is a usage error. */
export function parseTimer(text: string): number | null {
  if (text.toLowerCase() === 'off') return null;
  const m = /^([1-9][0-9]{0,8})([smhdw])$/.exec(text);
  if (!m) throw new ExitError(2, `not a timer: "${text.slice(0, 40)}" (use 30s, 1h, 1d, 1w or off; or a number followed by s, m, h, d or w)`);
  return Number(m[1]) * UNIT[m[2]!]!;
}

export async function disappearingCommand(m: Messenger, { args, values }: Parsed): Promise<void> {
  const ref = values.group ?? args[0]!;
  const value = values.group !== undefined ? args[0] : args[1];
  const seconds = value === undefined ? undefined : parseTimer(value);
  const where = values.group !== undefined ? `group ${values.group}` : ref;
  const state = seconds === undefined ? await m.disappearing(ref) : await m.setDisappearing(ref, seconds);
  if (values.json) {
    sayJson({ conversationId: state.conversationId, seconds: state.seconds, maxSeconds: state.maxSeconds });
    return;
  }
  const span = state.seconds === null ? 'off' : timerSpan(state.seconds);
  if (seconds === undefined) say(`disappearing messages with ${where}: ${span}`);
  else say(`disappearing messages with ${where}: ${span}${'changed' in state && !state.changed ? ' (unchanged)' : ''}`);
}
