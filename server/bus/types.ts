// The delivery bus between relay nodes: the events a node makes that another node may have to act on, because
// the device's delivery socket is connected there. Events carry ids only, never envelope contents (those stay in
// the store, where the receiving node reads them). Addressed by user: a node listens for the users it holds a
// socket of (server/delivery.ts).
import type { ServerFrame } from '../../common/wire/schemas.ts';

export type BusEvent =
  /** New envelopes are queued for these devices of the user: pump them. */
  | { kind: 'notify'; devices: number[] }
  /** An administrator wiped or revoked the device: close its socket (after `{type:'wipe'}` for a wipe). */
  | { kind: 'evict'; deviceId: number; why: 'wipe' | 'revoke' }
  /** A content-free frame for every connected device of the user (e.g. group-changed). */
  | { kind: 'signal'; frame: ServerFrame }
  /** The device's delivery lease moved: it connected to another node, so an older socket elsewhere is closed. */
  | { kind: 'attached'; deviceId: number; at: number };

export interface Bus {
  /** Publishes an event about `userId` to the other nodes (never back to this one). */
  publish(userId: string, event: BusEvent): void;
  /**
   * Starts receiving the events of this user; counted, so each watch needs one unwatch. Resolves once the bus
   * delivers them (events published before that may be missed: read the state after it resolves).
   */
  watch(userId: string): Promise<void>;
  unwatch(userId: string): void;
  /** Where received events go (one handler: the hub's). */
  onEvent(handler: (userId: string, event: BusEvent) => void): void;
  /** Called after the connection came back: events published meanwhile may have been missed. */
  onReconnect(handler: () => void): void;
  /** Connected right now (readiness). */
  healthy(): boolean;
  close(): Promise<void>;
}

const positive = (n: unknown) => Number.isSafeInteger(n) && (n as number) > 0;

/** What came off the wire is one of the events above (a node of another version, or noise, is dropped). */
export function isBusEvent(e: unknown): e is BusEvent {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as Record<string, unknown>;
  switch (x.kind) {
    case 'notify': return Array.isArray(x.devices) && x.devices.length > 0 && x.devices.every(positive);
    case 'evict': return positive(x.deviceId) && (x.why === 'wipe' || x.why === 'revoke');
    case 'signal': return typeof x.frame === 'object' && x.frame !== null && typeof (x.frame as { type?: unknown }).type === 'string';
    case 'attached': return positive(x.deviceId) && typeof x.at === 'number';
    default: return false;
  }
}
