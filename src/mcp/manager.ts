import type { Logger } from "pino";
import { AgentdError, ValidationError } from "../errors.js";
import type { McpServerStatus } from "../../protocol/mcp.js";
import type { Tool, ToolContext } from "../agent/tools/tool.js";
import { McpServerConfig, McpServerName, type McpServerConfigInput } from "../config/sections/mcp.js";
import { ServerConnection, type McpTiming } from "./server-connection.js";
import { shortDescription } from "./tool-format.js";

/** Options of {@link McpManager}. */
export interface McpManagerOptions {
  /** `mcp.servers` from the config (validated again here; defaults applied). */
  servers: Record<string, McpServerConfigInput>;
  logger: Logger;
  /** The agent folder: relative stdio `cwd` and `command` paths resolve against it; default cwd of children. */
  cwd: string;
  /** Reconnect and shutdown timing; defaults suit production, tests shorten them. */
  timing?: McpTiming;
}

/** Validates `mcp.servers`; throws {@link ValidationError} with `details.path` (e.g. `mcp.servers.fs.args`). */
function parseServers(servers: Record<string, McpServerConfigInput>): Map<string, McpServerConfig> {
  const out = new Map<string, McpServerConfig>();
  for (const [name, raw] of Object.entries(servers)) {
    if (!McpServerName.safeParse(name).success) {
      throw new ValidationError(`mcp.servers.${name}: MCP server names are 1-32 characters of a-z, A-Z, 0-9, _ and -`, { path: `mcp.servers.${name}` });
    }
    const parsed = McpServerConfig.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const keys = issue && "keys" in issue && Array.isArray(issue.keys) ? issue.keys : [];
      const path = ["mcp", "servers", name, ...(issue?.path ?? []).map(String), ...keys.slice(0, 1).map(String)].join(".");
      throw new ValidationError(`${path}: ${issue?.message ?? "invalid"}`, { path });
    }
    out.set(name, parsed.data);
  }
  return out;
}

/** The server's input schema minus its `$schema` keyword (saves bytes per request; the model ignores it). */
function withoutSchemaKeyword(schema: Record<string, unknown>): Record<string, unknown> {
  if (!("$schema" in schema)) return schema;
  const { $schema: _dropped, ...rest } = schema;
  return rest;
}

/** Key-order-independent JSON, to tell a changed server config from an unchanged one. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The MCP client manager of the daemon (issue 3): one background connection per enabled entry of
 * `mcp.servers`, their tools offered to the agent loop as `<server>__<tool>` {@link Tool}s, live status for
 * `GET /api/mcp` and `mcp.list`, live config updates and a clean stop (no orphaned stdio children).
 * A slow or broken server never delays {@link McpManager.start} and never throws out of it.
 */
export class McpManager {
  private readonly logger: Logger;
  private readonly agentDir: string;
  private readonly timing: McpTiming | undefined;
  private readonly connections = new Map<string, ServerConnection>();
  private readonly listeners = new Set<() => void>();
  private toolCache: Tool[] | undefined;
  private started = false;
  private updating: Promise<void> = Promise.resolve();

  /** @throws ValidationError when a server name or entry is invalid (nothing is started). */
  constructor(opts: McpManagerOptions) {
    this.logger = opts.logger.child({ component: "mcp" });
    this.agentDir = opts.cwd;
    this.timing = opts.timing;
    for (const [name, cfg] of parseServers(opts.servers)) this.connections.set(name, this.makeConnection(name, cfg));
  }

  /** Starts connecting every enabled server in the background; returns at once. Idempotent. */
  start(): void {
    this.started = true;
    for (const conn of this.connections.values()) conn.start();
  }

  /**
   * Tools of the connected servers, named `<server>__<tool>`, allow/deny applied. Built once per change
   * (see {@link McpManager.onToolsChanged}), so it is cheap to call per run; the array is a fresh copy.
   */
  tools(): Tool[] {
    this.toolCache ??= [...this.connections.values()].flatMap((conn) =>
      conn.tools().map(({ exposedName, def }): Tool => ({
        name: exposedName,
        description: shortDescription(def.description, def.title ?? def.annotations?.title, `Tool ${def.name} of MCP server ${conn.name}`),
        inputSchema: withoutSchemaKeyword(def.inputSchema),
        source: conn.name,
        run: (args: unknown, ctx: ToolContext) => this.callTool(conn.name, def.name, exposedName, args, ctx),
      })),
    );
    return [...this.toolCache];
  }

  /** One entry per configured server, in config order. See {@link McpServerStatus}. */
  status(): McpServerStatus[] {
    return [...this.connections.values()].map((conn) => conn.status());
  }

  /** Calls `cb` whenever {@link McpManager.tools} changes (connect, drop, `list_changed`, update). Returns an unsubscribe function. */
  onToolsChanged(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /**
   * Applies a new `mcp.servers` live: starts added servers, stops removed ones, restarts changed ones, leaves
   * unchanged ones alone. Updates run one after another.
   * @throws ValidationError when the new config is invalid; then nothing changes.
   */
  async update(servers: Record<string, McpServerConfigInput>): Promise<void> {
    const next = parseServers(servers);
    const run = this.updating.then(() => this.applyUpdate(next));
    this.updating = run.catch(() => undefined);
    await run;
  }

  /** Stops every server and waits until stdio children are gone (SIGTERM, then SIGKILL after ~2 s). */
  async stop(): Promise<void> {
    this.started = false;
    await this.updating;
    await Promise.all([...this.connections.values()].map((conn) => conn.stop()));
  }

  private async applyUpdate(next: Map<string, McpServerConfig>): Promise<void> {
    const stopping: Promise<void>[] = [];
    const starting: ServerConnection[] = [];
    for (const [name, conn] of this.connections) {
      const cfg = next.get(name);
      if (cfg && stableJson(cfg) === stableJson(conn.config)) continue;
      this.connections.delete(name);
      stopping.push(conn.stop());
      this.logger.info({ server: name }, cfg ? "MCP server config changed; restarting" : "MCP server removed");
    }
    await Promise.all(stopping);
    const merged = new Map<string, ServerConnection>();
    for (const [name, cfg] of next) {
      let conn = this.connections.get(name);
      if (!conn) {
        conn = this.makeConnection(name, cfg);
        starting.push(conn);
      }
      merged.set(name, conn);
    }
    this.connections.clear();
    for (const [name, conn] of merged) this.connections.set(name, conn);
    if (this.started) for (const conn of starting) conn.start();
    if (stopping.length > 0) this.changed();
  }

  private makeConnection(name: string, cfg: McpServerConfig): ServerConnection {
    const opts = { logger: this.logger, agentDir: this.agentDir, onToolsChanged: () => this.changed() };
    return new ServerConnection(name, cfg, this.timing ? { ...opts, timing: this.timing } : opts);
  }

  private changed(): void {
    this.toolCache = undefined;
    for (const cb of this.listeners) {
      try {
        cb();
      } catch (err) {
        this.logger.error({ err }, "onToolsChanged listener threw");
      }
    }
  }

  private async callTool(server: string, tool: string, exposedName: string, args: unknown, ctx: ToolContext): Promise<string> {
    const conn = this.connections.get(server);
    if (!conn) throw new AgentdError("unavailable", `MCP server "${server}" is no longer configured (tool "${exposedName}")`);
    return conn.call(tool, exposedName, args, ctx.signal);
  }
}
