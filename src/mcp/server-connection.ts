import type { Logger } from "pino";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Tool as McpToolDef } from "@modelcontextprotocol/sdk/types.js";
import { AgentdError } from "../errors.js";
import type { McpServerState, McpServerStatus } from "../../protocol/mcp.js";
import { Backoff, type BackoffOptions } from "../../protocol/backoff.js";
import { isStdioConfig, type McpServerConfig } from "../config/sections/mcp.js";
import { createRedactor } from "../redact.js";
import { loadMcpSdk, type McpSdk } from "./sdk-loader.js";
import { exposedToolName, formatToolResult, isToolAllowed } from "./tool-format.js";
import { createTransport, type OpenedTransport } from "./transports.js";
import { errorText, mapCallError, notConnectedError } from "./call-errors.js";

/** Timing knobs of MCP connections, all in ms (defaults in brackets). Tests shorten them. */
export interface McpTiming {
  /** Reconnect backoff [0.5 s doubling to 30 s]. */
  backoff?: BackoffOptions;
  /** Longest wait for `initialize` and the first `tools/list` [30 000]. */
  connectTimeoutMs?: number;
  /** A connection up this long resets the backoff when it drops [10 000]. */
  stableMs?: number;
}

/** One tool a connected server offers, after the allow/deny filter. */
export interface RemoteTool {
  /** `<server>__<tool>`, see {@link exposedToolName}. */
  exposedName: string;
  def: McpToolDef;
}

const CLIENT_INFO = { name: "agentd", version: "0.1.0" };
const PROBE_TIMEOUT_MS = 5000;

/**
 * The life of one configured MCP server (issue 3): connects in the background, lists its tools (all pages,
 * allow/deny applied, task-only tools skipped), re-lists on `notifications/tools/list_changed`, and on a drop
 * (stdio process exit, HTTP transport failure confirmed by a ping) or a failed attempt retries with
 * {@link Backoff}. Never throws out of {@link ServerConnection.start}; {@link ServerConnection.call} throws
 * typed {@link AgentdError}s. `onToolsChanged` fires whenever the offered tool list changes.
 */
export class ServerConnection {
  readonly name: string;
  readonly config: McpServerConfig;
  private readonly logger: Logger;
  private readonly agentDir: string;
  private readonly onToolsChanged: () => void;
  private readonly redact: (s: string) => string;
  private readonly backoff: Backoff;
  private readonly timing: Required<Omit<McpTiming, "backoff">>;
  private state: McpServerState;
  private lastError: string | undefined;
  private remoteTools: RemoteTool[] = [];
  private client: Client | undefined;
  private opened: OpenedTransport | undefined;
  private sdk: McpSdk | undefined;
  private connectedAt: number | undefined;
  private nextRetryAt: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Bumped per attempt and on stop: callbacks of an older attempt are ignored. */
  private generation = 0;
  private stopped = true;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private probing = false;

  constructor(name: string, config: McpServerConfig, opts: { logger: Logger; agentDir: string; timing?: McpTiming; onToolsChanged: () => void }) {
    this.name = name;
    this.config = config;
    this.logger = opts.logger.child({ mcp: name });
    this.agentDir = opts.agentDir;
    this.onToolsChanged = opts.onToolsChanged;
    this.backoff = new Backoff(opts.timing?.backoff);
    this.timing = {
      connectTimeoutMs: opts.timing?.connectTimeoutMs ?? 30_000,
      stableMs: opts.timing?.stableMs ?? 10_000,
    };
    this.state = config.enabled ? "connecting" : "disabled";
    const secrets: string[] = [];
    if (isStdioConfig(config)) secrets.push(...Object.values(config.env ?? {}));
    else {
      secrets.push(...Object.values(config.headers ?? {}));
      const url = new URL(config.url);
      secrets.push(url.username, url.password, ...url.searchParams.values());
    }
    // MCP env/header values may be short (e.g. a 4-character PIN): mask from 4 characters on
    this.redact = createRedactor(() => secrets, { mask: "***", minChars: 4 });
  }

  /** Starts connecting in the background (no-op when disabled or already started). Returns at once. */
  start(): void {
    if (!this.config.enabled || !this.stopped) return;
    this.stopped = false;
    this.state = "connecting";
    this.backoff.reset();
    void this.attempt();
  }

  /** Tools offered to the model: empty unless connected. */
  tools(): readonly RemoteTool[] {
    return this.state === "connected" && !this.stopped ? this.remoteTools : [];
  }

  /** Snapshot for `GET /api/mcp` / `mcp.list`; never holds a secret. */
  status(): McpServerStatus {
    const s: McpServerStatus = {
      name: this.name,
      transport: isStdioConfig(this.config) ? "stdio" : "http",
      enabled: this.config.enabled,
      state: this.state,
      tools: this.tools().map((t) => t.exposedName),
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    const pid = this.opened?.pid();
    if (pid !== undefined && this.state === "connected") s.pid = pid;
    if (this.connectedAt !== undefined && this.state === "connected") s.connectedAt = new Date(this.connectedAt).toISOString();
    if (this.nextRetryAt !== undefined) s.nextRetryAt = new Date(this.nextRetryAt).toISOString();
    return s;
  }

  /**
   * Calls server-side tool `tool` with `args`, for at most `callTimeoutMs`, cancelled by `signal`.
   * Returns the result text (see {@link formatToolResult}). Throws {@link AgentdError}: `unavailable` when the
   * server is not connected or drops mid-call, `timeout`, `aborted`, `bad_request` when the tool reports an
   * error (`isError`, message = its text) or rejects the call (JSON-RPC error).
   */
  async call(tool: string, exposedName: string, args: unknown, signal: AbortSignal): Promise<string> {
    const client = this.client;
    const sdk = this.sdk;
    if (!isToolAllowed(this.config.tools, tool)) {
      throw new AgentdError("not_found", `MCP tool "${exposedName}" is not allowed by mcp.servers.${this.name}.tools`);
    }
    if (this.state !== "connected" || this.stopped || !client || !sdk) throw this.unavailable();
    if (signal.aborted) throw new AgentdError("aborted", `MCP tool "${exposedName}" was aborted`);
    const timeoutMs = this.config.callTimeoutMs;
    const startedMs = Date.now();
    let result: Awaited<ReturnType<Client["callTool"]>>;
    try {
      const params = { name: tool, arguments: (args ?? {}) as Record<string, unknown> };
      result = await client.callTool(params, undefined, { signal, timeout: timeoutMs });
    } catch (err) {
      this.logger.debug({ tool, ms: Date.now() - startedMs, err: this.redact(errorText(err)) }, "tool call failed");
      const mapped = mapCallError(err, { sdk, server: this.name, exposedName, timeoutMs, aborted: signal.aborted, redact: this.redact });
      if (mapped.transportFailure) this.probe(this.generation);
      throw mapped.error;
    }
    const text = formatToolResult(result);
    if (result.isError === true) {
      throw new AgentdError("bad_request", text || `MCP tool "${exposedName}" reported an error`, { details: { server: this.name, tool } });
    }
    return text;
  }

  /** Closes the connection and stops retrying; a stdio child gets SIGTERM, then SIGKILL after the grace time. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.nextRetryAt = undefined;
    const wasConnected = this.state === "connected";
    const hadTools = this.tools().length > 0;
    this.remoteTools = [];
    if (hadTools) this.onToolsChanged();
    await this.closeCurrent(wasConnected);
  }

  /** The error thrown for a call while the server is not connected. */
  private unavailable(): AgentdError {
    const { name: server, stopped, state, nextRetryAt, lastError } = this;
    return notConnectedError({ server, enabled: this.config.enabled, stopped, state, nextRetryAt, lastError });
  }

  private async attempt(): Promise<void> {
    const gen = ++this.generation;
    this.nextRetryAt = undefined;
    const startedMs = Date.now();
    let listChangedEarly = false;
    try {
      const sdk = (this.sdk ??= await loadMcpSdk());
      if (gen !== this.generation) return;
      const opened = createTransport(sdk, this.config, { agentDir: this.agentDir, logger: this.logger, redact: this.redact });
      const client = new sdk.Client(CLIENT_INFO, { capabilities: {} });
      client.onclose = () => this.onDrop(gen, isStdioConfig(this.config) ? "server process exited" : "connection closed");
      client.onerror = (err) => this.onTransportError(gen, err);
      client.setNotificationHandler(sdk.ToolListChangedNotificationSchema, () => {
        if (gen !== this.generation) return;
        if (this.state === "connected") this.refreshTools(gen);
        else listChangedEarly = true;
      });
      this.client = client;
      this.opened = opened;
      await client.connect(opened.transport, { timeout: this.timing.connectTimeoutMs });
      const tools = await this.listTools(client);
      if (gen !== this.generation) return;
      this.state = "connected";
      this.connectedAt = Date.now();
      this.remoteTools = tools;
      this.logger.info({ ms: this.connectedAt - startedMs, tools: tools.length, pid: opened.pid() }, "MCP server connected");
      this.onToolsChanged();
      if (listChangedEarly) this.refreshTools(gen);
    } catch (err) {
      if (gen !== this.generation) return;
      const tail = this.opened?.stderrTail();
      let message = this.redact(errorText(err));
      const sdk = this.sdk;
      if (sdk && err instanceof sdk.McpError && err.code === sdk.ErrorCode.RequestTimeout) {
        message = `no answer to initialize within ${this.timing.connectTimeoutMs} ms`;
      }
      if (tail) message += ` (stderr: ${tail})`;
      if (message !== this.lastError || this.backoff.attempts === 0) this.logger.warn({ err: message }, "MCP server failed to connect");
      this.lastError = message;
      this.state = "error";
      this.generation++; // ignore the late close of this attempt
      const closing = this.closeCurrent(false); // takes the client at once; the child may need seconds to stop
      this.scheduleRetry();
      await closing;
    }
  }

  /** Lists every page of tools, applies allow/deny and skips tools that can only run as tasks. */
  private async listTools(client: Client): Promise<RemoteTool[]> {
    const out: RemoteTool[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.timing.connectTimeoutMs });
      for (const def of page.tools) {
        if (!isToolAllowed(this.config.tools, def.name) || def.execution?.taskSupport === "required") continue;
        const exposedName = exposedToolName(this.name, def.name);
        if (seen.has(exposedName)) {
          this.logger.warn({ tool: def.name }, "MCP tool name collides with another after sanitising; skipped");
          continue;
        }
        seen.add(exposedName);
        out.push({ exposedName, def });
      }
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  /** Re-lists tools after `tools/list_changed`; concurrent notifications coalesce into one more listing. */
  private refreshTools(gen: number): void {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    const client = this.client;
    if (!client) return;
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        try {
          const tools = await this.listTools(client);
          if (gen !== this.generation || this.state !== "connected") return;
          if (JSON.stringify(tools) === JSON.stringify(this.remoteTools)) continue;
          this.remoteTools = tools;
          this.logger.debug({ tools: tools.length }, "MCP tool list changed");
          this.onToolsChanged();
        } catch (err) {
          this.logger.warn({ err: this.redact(errorText(err)) }, "re-listing MCP tools failed");
        }
      } while (this.refreshAgain && gen === this.generation);
    })().finally(() => {
      this.refreshing = undefined;
    });
  }

  private onTransportError(gen: number, err: Error): void {
    if (gen !== this.generation) return;
    this.logger.debug({ err: this.redact(errorText(err)) }, "MCP transport error");
    this.probe(gen);
  }

  /** After an HTTP transport error while connected: ping; no answer = the connection dropped. */
  private probe(gen: number): void {
    if (isStdioConfig(this.config) || this.probing || this.state !== "connected" || !this.client) return;
    this.probing = true;
    this.client
      .ping({ timeout: PROBE_TIMEOUT_MS })
      .then(
        () => undefined,
        (err: unknown) => this.onDrop(gen, `server unreachable: ${errorText(err)}`),
      )
      .finally(() => {
        this.probing = false;
      });
  }

  private onDrop(gen: number, reason: string): void {
    if (gen !== this.generation || this.state !== "connected") return;
    this.generation++;
    const tail = this.opened?.stderrTail();
    this.lastError = this.redact(tail ? `${reason} (stderr: ${tail})` : reason);
    this.logger.warn({ err: this.lastError }, "MCP server dropped; reconnecting");
    if (this.connectedAt !== undefined && Date.now() - this.connectedAt >= this.timing.stableMs) this.backoff.reset();
    this.state = "reconnecting";
    this.connectedAt = undefined;
    this.remoteTools = [];
    this.onToolsChanged();
    void this.closeCurrent(false);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delayMs = this.backoff.next();
    this.nextRetryAt = Date.now() + delayMs;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, delayMs);
    this.retryTimer.unref();
  }

  /**
   * Closes the current client and transport. A stdio child is stopped by the SDK's `StdioClientTransport.close()`
   * as the MCP spec's stdio shutdown says (lifecycle, "Shutdown"): its stdin is closed, then SIGTERM after 2 s, then
   * SIGKILL after 2 s more.
   */
  private async closeCurrent(endSession: boolean): Promise<void> {
    const client = this.client;
    const opened = this.opened;
    this.client = undefined;
    this.opened = undefined;
    if (!client || !opened) return;
    const transport = opened.transport as { terminateSession?: () => Promise<void> };
    if (endSession && transport.terminateSession) {
      await Promise.race([transport.terminateSession().catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
    }
    await client.close().catch(() => undefined);
  }
}
