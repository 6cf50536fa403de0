import type { z } from "zod";
import type { methods } from "../../protocol/methods.js";
import { AgentdError, ValidationError } from "../errors.js";
import type { CallContext, Handler, Handlers, Specs } from "../feature.js";
import { authorize } from "./scopes.js";

/** The daemon's registry: every method of protocol/methods.ts, so calls are typed by method name. */
export type DaemonRegistry = MethodRegistry<typeof methods>;

/** Formats a zod issue path as `a.b[0].c`. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

/** Validates `value` with `schema`; throws a {@link ValidationError} whose `details.path` names the bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where = "params"): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issuePath(issue.path);
  let message = issue.message;
  if (issue.code === "unrecognized_keys") message = `unknown key${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}`;
  throw new ValidationError(`${where}${path ? `.${path}` : ""}: ${message}`, { path: path || "(root)" });
}

/**
 * The daemon's method table: each protocol method's spec and its handler. Params are validated once here, so
 * handlers receive typed, defaulted values and never cast (DESIGN.md §3). REST routes call the same table.
 */
export class MethodRegistry<S extends Specs> implements Handlers<S> {
  private readonly handlers = new Map<string, (params: unknown, ctx: CallContext) => unknown>();

  constructor(readonly specs: S) {}

  /** Registers the handler of method `name`. */
  on<M extends keyof S & string>(name: M, handler: Handler<S, M>): this {
    this.handlers.set(name, handler as (params: unknown, ctx: CallContext) => unknown);
    return this;
  }

  /** Names of the methods that have a handler. */
  names(): string[] {
    return [...this.handlers.keys()];
  }

  /**
   * Checks the caller's scope against the method's declared `scope` ({@link authorize}), validates params and
   * calls the handler. Throws `unknown_method` for a method without handler, `forbidden` for a token without
   * the scope, {@link ValidationError} for bad params.
   */
  async call<M extends keyof S & string>(name: M, params: z.input<S[M]["params"]>, ctx: CallContext): Promise<Awaited<z.input<S[M]["result"]>>> {
    return (await this.dispatch(name, params, ctx)) as Awaited<z.input<S[M]["result"]>>;
  }

  /** {@link call} for a method named at run time (a WebSocket frame's `method`): same checks, an untyped result. */
  async dispatch(name: string, params: unknown, ctx: CallContext): Promise<unknown> {
    const handler = this.handlers.get(name);
    const spec = this.specs[name];
    if (!handler || !spec) throw new AgentdError("unknown_method", `unknown method "${name}"`, { details: { method: name } });
    authorize(ctx.principal, spec.scope, name);
    return handler(validate(spec.params, params ?? {}), ctx);
  }

  /**
   * Calls the handler of `name` with params the caller has already checked: the REST route of a method
   * (method-routes.ts), whose router authorised the caller and validated path, query and body with the
   * method's own field schemas. Throws `unknown_method` for a method without handler.
   */
  async invoke(name: string, params: unknown, ctx: CallContext): Promise<unknown> {
    const handler = this.handlers.get(name);
    if (!handler) throw new AgentdError("unknown_method", `unknown method "${name}"`, { details: { method: name } });
    return handler(params, ctx);
  }
}
