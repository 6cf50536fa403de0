/** The protocol version this build speaks. Clients send a `[min, max]` range in the handshake; see docs/protocol.md. */
export const PROTOCOL_VERSION = 2;
/**
 * The oldest protocol version this build still accepts. Version 1 sent the token in `hello`; version 2 (the
 * challenge–response handshake) is required, so a version 1 client gets `unsupported_version` and close 4426.
 */
export const MIN_PROTOCOL_VERSION = 2;
