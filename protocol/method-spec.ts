import type { z } from "zod";
import type { ScopeRequirement } from "./scopes.js";

/**
 * One protocol method: its params and result schemas (zod, strict objects) and a one-line description.
 * The daemon registers a handler per method by this spec, so validation narrows the types (DESIGN.md §3).
 * `sideEffect: true` marks methods that change state (used for docs and rate limits). `scope` is what a token
 * needs to call it (one scope or any one of a list; `admin` passes everything, protocol/scopes.ts); the gateway
 * checks it in one place before the params are validated.
 */
export interface MethodSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  params: P;
  result: R;
  description: string;
  scope: ScopeRequirement;
  sideEffect?: boolean;
}

/** Identity helper that keeps the literal types of a method spec. */
export function defineMethod<P extends z.ZodType, R extends z.ZodType>(spec: MethodSpec<P, R>): MethodSpec<P, R> {
  return spec;
}

/** One protocol event: its payload schema and a description. */
export interface EventSpec<P extends z.ZodType = z.ZodType> {
  payload: P;
  description: string;
}

/** Identity helper that keeps the literal types of an event spec. */
export function defineEvent<P extends z.ZodType>(spec: EventSpec<P>): EventSpec<P> {
  return spec;
}
