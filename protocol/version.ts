/** The protocol version this build speaks. Clients send a `[min, max]` range in the handshake; see docs/protocol.md. */
export const PROTOCOL_VERSION = 1;
/** The oldest protocol version this build still accepts. */
export const MIN_PROTOCOL_VERSION = 1;
