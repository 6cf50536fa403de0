import type { z } from "zod";
import type { MethodSpec } from "../protocol/method-spec.js";
import type { methods } from "../protocol/methods.js";
import type { Scope } from "../protocol/scopes.js";
import type { RunSubscriber } from "./agent/run-handle.js";

/**
 * Who is calling: the token's name, scopes and kind (see `TokenEntry` in src/gateway/token-keys.ts). Every call
 * into the daemon's operations carries one (REST, WebSocket, `/v1`, `/mcp`).
 */
export interface Principal {
  name: string;
  scopes: readonly Scope[];
  kind: "owner" | "token" | "bridge";
}

/** Per-call context: who is calling (`principal`, checked against the method's scope), over what, and where run events go. */
export interface CallContext {
  subscriber?: RunSubscriber;
  transport: "ws" | "rest" | "openai" | "mcp";
  principal: Principal;
  /** Aborts when the caller's connection closes (WebSocket calls): ends what the call started (delivery subscriptions). */
  signal?: AbortSignal;
}

/** Method specs by name (protocol/methods.ts). */
export type Specs = Record<string, MethodSpec>;

/** A handler for method `M` of `S`: gets validated params (defaults applied) and returns the result. */
export type Handler<S extends Specs, M extends keyof S> = (
  params: z.output<S[M]["params"]>,
  ctx: CallContext,
) => z.input<S[M]["result"]> | Promise<z.input<S[M]["result"]>>;

/**
 * What a feature sees of the daemon's method table: a place to register the handler of each protocol method it
 * serves. Declared here, outside src/gateway, so features know operations and not transports; the gateway's
 * `MethodRegistry` implements it and derives the WebSocket dispatch and the REST routes from the same table.
 */
export interface Handlers<S extends Specs = typeof methods> {
  /** Registers the handler of method `name`. */
  on<M extends keyof S & string>(name: M, handler: Handler<S, M>): this;
}
