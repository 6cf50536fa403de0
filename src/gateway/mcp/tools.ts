import { z } from "zod";
import type { MethodName, ParamsIn } from "../../../protocol/methods.js";
import type { ScopeRequirement } from "../../../protocol/scopes.js";
import { vaultMethods, VaultSearchParams, VaultWriteParams, NotePath } from "../../../protocol/vault.js";
import { sessionMethods } from "../../../protocol/sessions.js";
import { agentMethods } from "../../../protocol/agent.js";
import { scheduleMethods, ScheduleCreate, type Schedule } from "../../../protocol/schedules.js";
import type { Store } from "../../store/store.js";
import type { DaemonRegistry } from "../method-registry.js";
import type { Principal } from "../scopes.js";
import { finishTurn, keyedSession, startTurn } from "../chat-turn.js";

/** What an MCP tool of agentd gets: the caller and the daemon's operations. */
export interface McpToolContext {
  principal: Principal;
  registry: DaemonRegistry;
  store: Store;
  /** Aborted when the MCP client cancels the call (`notifications/cancelled`) or goes away. */
  signal: AbortSignal;
}

/** A tool's answer: the text an MCP client shows (and a model reads) and the same data structured. */
export interface McpToolAnswer {
  text: string;
  structured: Record<string, unknown>;
}

/**
 * One tool of agentd's MCP server (issue 15), declared once: name, description, the scope a token needs
 * (checked by `authorize` before the arguments are validated, listed by `tools/list` only for tokens that have
 * it), the input schema (zod; its JSON Schema is the tool's `inputSchema`) and what it runs, a thin adapter
 * over a protocol method.
 */
export interface McpToolSpec<I extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  scope: ScopeRequirement;
  input: I;
  run(args: z.output<I>, ctx: McpToolContext): Promise<McpToolAnswer>;
}

const tool = <I extends z.ZodObject>(spec: McpToolSpec<I>): McpToolSpec => spec as unknown as McpToolSpec;
const call = <M extends MethodName>(ctx: McpToolContext, method: M, params: ParamsIn<M>) => ctx.registry.call(method, params, { transport: "mcp", principal: ctx.principal });

/** Session key of the `chat` tool when none is given. */
export const DEFAULT_MCP_SESSION = "default";

/** The tools of agentd's MCP server, in `tools/list` order. `schedule_create` comes when schedules exist. */
export const MCP_TOOLS: readonly McpToolSpec[] = [
  tool({
    name: "chat",
    description: "Send a message to the agent and get its answer. The agent keeps the conversation of each named session (its own memory, notes and tools); use the same `session` to continue one.",
    scope: "chat",
    input: z.strictObject({
      message: z.string().min(1).max(100_000).describe("what to say to the agent"),
      session: z.string().min(1).max(200).default(DEFAULT_MCP_SESSION).describe(`session name; the same name continues the same conversation (default "${DEFAULT_MCP_SESSION}")`),
    }),
    async run(args, ctx) {
      const sessionId = keyedSession(ctx.store, ctx.principal, "mcp", args.session);
      const turn = await startTurn(ctx.registry, { text: args.message, sessionId }, ctx.principal, "mcp");
      const onAbort = () => void ctx.registry.call("chat.abort", { runId: turn.sent.runId }, { transport: "mcp", principal: ctx.principal }).catch(() => undefined);
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      try {
        const done = await finishTurn(turn);
        return { text: done.text, structured: { text: done.text, session: args.session, sessionId: done.sessionId, runId: done.runId, status: done.status, model: done.model, usage: done.usage } };
      } finally {
        ctx.signal.removeEventListener("abort", onAbort);
      }
    },
  }),
  tool({
    name: "vault_search",
    description: "Full-text search of the agent's notes (Obsidian-compatible markdown vault): ranked hits with highlighted snippets, optionally only notes with a tag.",
    scope: vaultMethods["vault.search"].scope,
    input: z.strictObject({ query: VaultSearchParams.shape.q.describe("words to find; the last one matches as a prefix"), tag: VaultSearchParams.shape.tag, limit: VaultSearchParams.shape.limit }),
    async run(args, ctx) {
      const r = await call(ctx, "vault.search", { q: args.query, ...(args.tag ? { tag: args.tag } : {}), ...(args.limit ? { limit: args.limit } : {}) });
      const text = r.hits.length === 0 ? `No notes match "${args.query}".` : r.hits.map((h) => `- ${h.title} (${h.path}): ${h.snippet.replace(/<\/?mark>/g, "**")}`).join("\n");
      return { text, structured: r };
    },
  }),
  tool({
    name: "vault_read",
    description: "Read one note of the agent's vault: its markdown, frontmatter, tags, links and backlinks.",
    scope: vaultMethods["vault.read"].scope,
    input: z.strictObject({ path: NotePath.describe("note path in the vault, e.g. Projects/Plan.md") }),
    async run(args, ctx) {
      const r = await call(ctx, "vault.read", { path: args.path });
      return { text: r.content, structured: r };
    },
  }),
  tool({
    name: "vault_write",
    description: "Create or replace a note in the agent's vault (markdown content and/or frontmatter).",
    scope: vaultMethods["vault.write"].scope,
    input: z.strictObject({ path: VaultWriteParams.shape.path, content: VaultWriteParams.shape.content, frontmatter: VaultWriteParams.shape.frontmatter }),
    async run(args, ctx) {
      const r = await call(ctx, "vault.write", args);
      return { text: `${r.created ? "Created" : "Updated"} ${r.path}.`, structured: r };
    },
  }),
  tool({
    name: "memory_append",
    description: "Add one time-stamped entry to the agent's long-term memory (MEMORY.md); the agent sees it from its next turn.",
    scope: agentMethods["memory.append"].scope,
    input: agentMethods["memory.append"].params,
    async run(args, ctx) {
      const r = await call(ctx, "memory.append", args);
      return { text: `Remembered: ${r.line}`, structured: r };
    },
  }),
  tool({
    name: "sessions_list",
    description: "The agent's sessions (conversations), most recently active first: id, title, message count, times.",
    scope: sessionMethods["sessions.list"].scope,
    input: z.strictObject({ limit: z.number().int().min(1).max(1000).default(20).describe("how many, default 20") }),
    async run(args, ctx) {
      const r = await call(ctx, "sessions.list", args);
      const text = r.sessions.length === 0 ? "No sessions yet." : r.sessions.map((s) => `- ${s.id}: ${s.title ?? "(untitled)"} (${s.messageCount} messages, last active ${s.updatedAt})`).join("\n");
      return { text, structured: r };
    },
  }),
  tool({
    name: "schedule_create",
    description: "Schedule a prompt for the agent: exactly one of at (ISO 8601 or 'in 20 minutes'), cron or everyMs; deliverTo: the chat(s) that get the answer.",
    scope: scheduleMethods["schedules.create"].scope,
    input: ScheduleCreate,
    async run(args, ctx) {
      const job = await call(ctx, "schedules.create", args);
      return { text: `Scheduled "${job.name}" (id ${job.id}); next run ${job.nextRunAt ?? "none"} (${job.timezone}).`, structured: job };
    },
  }),
];

/** The scope vault resources (`vault://path`, list and read) need: that of `vault.list` and `vault.read`. */
export const MCP_RESOURCE_SCOPE: ScopeRequirement = vaultMethods["vault.read"].scope;
