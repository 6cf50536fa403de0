/**
 * The subset of pino's logger (https://getpino.io/#/docs/api?id=logger) the bridges use: one object of fields and
 * an optional message per level. Its own module so the runtime, the outbox consumer and live replies share it
 * without importing each other.
 */
export interface BridgeLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}
