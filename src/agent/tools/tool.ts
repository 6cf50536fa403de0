import { z } from "zod";
import type { Logger } from "pino";
import { ValidationError } from "../../errors.js";

/** What a tool handler gets besides its arguments. `signal` aborts on run abort or tool timeout. */
export interface ToolContext {
  signal: AbortSignal;
  sessionId: string;
  runId: string;
  logger: Logger;
}

/** JSON Schema (draft 2020-12) object describing a tool's input, as sent to the model. */
export type JsonSchema = Record<string, unknown>;

/**
 * One tool the model can call, built-in or MCP: the same interface for both (issue 3).
 * `name` matches `^[a-zA-Z0-9_-]{1,64}$` (OpenAI's limit); MCP tools are named `<server>__<tool>`.
 * `run` returns the text shown to the model; throwing sends the error message back as the tool result.
 */
export interface Tool {
  name: string;
  description: string;
  inputSchema: JsonSchema;
  /** `builtin` or the MCP server name. */
  source: string;
  run(args: unknown, ctx: ToolContext): Promise<string>;
}

/**
 * Defines a built-in tool from a zod input schema: the JSON Schema for the model comes from `z.toJSONSchema`
 * (converted on the first read of `inputSchema` and kept, so a daemon start does not convert every tool's schema
 * before it listens), and arguments are validated before `run` is called (a {@link ValidationError} names the bad field).
 */
export function defineTool<S extends z.ZodType>(spec: {
  name: string;
  description: string;
  input: S;
  run(args: z.output<S>, ctx: ToolContext): Promise<string>;
}): Tool {
  let inputSchema: JsonSchema | undefined;
  return {
    name: spec.name,
    description: spec.description,
    // converted on first read (the first turn's tool list, or the warm-up after the daemon listens), not at start
    get inputSchema(): JsonSchema {
      if (!inputSchema) {
        inputSchema = z.toJSONSchema(spec.input, { target: "draft-2020-12" }) as JsonSchema;
        delete inputSchema.$schema;
      }
      return inputSchema;
    },
    source: "builtin",
    async run(args, ctx) {
      const parsed = spec.input.safeParse(args ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ValidationError(`invalid arguments: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
      }
      return spec.run(parsed.data, ctx);
    },
  };
}
