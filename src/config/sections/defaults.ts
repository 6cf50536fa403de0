import type { z } from "zod";

/**
 * Parses a config section's input once, without zod's eval-built fast path (`jitless`, a documented
 * `ParseContext` option): for the sections' defaults (`X.default(parsedDefault(X, {}))`) and the config read at
 * start or edit. These parses run once per process, where generating and compiling the fast path of every object
 * schema costs more than it saves (~10 ms of a daemon start for the ~15 defaults built when the config module
 * loads). Throws zod's `ZodError` like `schema.parse`.
 */
export function parsedDefault<S extends z.ZodType>(schema: S, input: z.input<S>): z.output<S> {
  return schema.parse(input, { jitless: true });
}
