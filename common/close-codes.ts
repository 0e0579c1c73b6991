// WebSocket close codes of the delivery socket (4000–4999 are application codes, RFC 6455 §7.4.2).
// The server sends them; the client decides by them whether to reconnect, stop, or wipe itself.

/** An older connection of the same device, closed because the device connected again: do not reconnect. */
export const CLOSE_REPLACED = 4000;
/** Sent right after `{type:'wipe'}`: an administrator wiped this device. */
export const CLOSE_WIPED = 4001;
/** An administrator revoked this device: its credential is no longer valid. */
export const CLOSE_REVOKED = 4003;
