// Pairwise Signal sessions with other devices: started from a fetched key bundle (X3DH), and dropped or
// restarted when the server says our view of someone's devices is out of date (HTTP 409/410).
import type { PeerAddress } from '../../../crypto/signal.ts';
import type * as W from '../../../common/wire/schemas.ts';
import { ErrorCode } from '../../../common/errors.ts';
import { ApiError } from '../net/api.ts';
import type { Contacts } from '../directory/contacts.ts';
import { unb64, type CoreContext } from '../context.ts';

/** Tries per send: each 409/410 answer fixes our device lists, then we encrypt again. */
export const SEND_ATTEMPTS = 4;

/** True when the server refused a send because our device lists were out of date (409/410 with the truth). */
export function isDeviceMismatch(err: unknown): err is ApiError & { body: W.DeviceMismatch } {
  // net/api.ts checks these bodies against DeviceMismatch before it throws.
  return err instanceof ApiError && (err.code === ErrorCode.mismatched_devices || err.code === ErrorCode.stale_devices);
}

export class Sessions {
  constructor(private readonly ctx: CoreContext, private readonly contacts: Contacts) {}

  has(peer: PeerAddress): Promise<boolean> {
    return this.ctx.party.hasSession(peer);
  }

  /** Fetches the device's key bundle and starts a session with it. */
  async start(peer: PeerAddress): Promise<void> {
    const bundles = await this.ctx.api.bundles(peer.userId, peer.deviceId);
    const b = bundles.devices.find((d) => d.deviceId === peer.deviceId);
    if (!b) throw new ApiError(404, ErrorCode.unknown_device, `device ${peer.deviceId} of ${peer.userId} has no keys`, null);
    await this.startFrom(peer, b);
  }

  async startFrom(peer: PeerAddress, b: W.DeviceBundle): Promise<void> {
    await this.ctx.party.startSession(peer, {
      registrationId: b.registrationId,
      identityKey: unb64(b.identityKey),
      signedPreKey: { keyId: b.signedPreKey.keyId, publicKey: unb64(b.signedPreKey.publicKey), signature: unb64(b.signedPreKey.signature) },
      preKey: b.preKey && { keyId: b.preKey.keyId, publicKey: unb64(b.preKey.publicKey) },
    });
  }

  /**
   * Applies the server's answer to a 1:1 send: the recipients' current device lists; sessions with gone
   * ("extra") or re-registered ("stale") devices are dropped. Their identity keys are kept: the server's
   * word that a device is gone must not make its next key look like a first contact (a key that differs
   * from the one on record is always a safety-number change).
   */
  async applyMismatch(body: W.DeviceMismatch): Promise<void> {
    await this.ctx.store.exclusive(async () => {
      for (const [userId, devices] of Object.entries(body.devices ?? {})) this.contacts.setDevices(userId, devices);
      for (const gone of [...(body.extra ?? []), ...(body.stale ?? [])]) {
        await this.ctx.party.deleteSession(gone);
      }
    });
  }
}
