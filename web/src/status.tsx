import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { McpServerStatus } from "../../protocol/mcp.js";
import { c, rest, RestError } from "./api.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const info = signal<{ name: string; model: string; version: string } | undefined>(undefined);
const active = signal<{ model: string; fallbackModels: string[] } | undefined>(undefined);
const mcp = signal<McpServerStatus[]>([]);
const bridges = signal<Array<{ platform: string; state: string; pid?: number; restarts: number }>>([]);
const logs = signal<Array<{ time: string; level: string; component: string; message: string }>>([]);
const config = signal<Record<string, Json> | undefined>(undefined);
const fieldError = signal<{ path: string; message: string } | undefined>(undefined);
const saved = signal("");

/** Sets `value` at a dotted path of a deep copy of `obj`. */
function setIn(obj: Record<string, Json>, path: string[], value: Json): Record<string, Json> {
  const copy = structuredClone(obj);
  let cur = copy as Record<string, Json>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, Json>;
  cur[path[path.length - 1]!] = value;
  return copy;
}

/** One config key: an input by type (arrays as JSON), its validation error right under it. */
function Field({ path, value }: { path: string[]; value: Json }) {
  const key = path.join(".");
  const err = fieldError.value?.path === key ? fieldError.value.message : undefined;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return (
      <fieldset data-key={key}>
        <legend>{path[path.length - 1]}</legend>
        {Object.entries(value).map(([k, v]) => <Field path={[...path, k]} value={v} />)}
        {err && <p class="error field-error" role="alert">{err}</p>}
      </fieldset>
    );
  }
  const id = `cfg-${key}`;
  const change = (raw: string | boolean) => {
    let v: Json = raw;
    if (typeof value === "number" && typeof raw === "string") v = raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    if (Array.isArray(value) && typeof raw === "string") {
      try {
        v = JSON.parse(raw) as Json;
      } catch {
        v = raw;
      }
    }
    config.value = setIn(config.value!, path, v);
  };
  return (
    <div class={`field${err ? " invalid" : ""}`} data-key={key}>
      <label for={id}>{path[path.length - 1]}</label>
      {typeof value === "boolean"
        ? <input id={id} type="checkbox" checked={value} onChange={(e) => change(e.currentTarget.checked)} />
        : <input id={id} value={Array.isArray(value) ? JSON.stringify(value) : String(value ?? "")} aria-invalid={err ? "true" : undefined} aria-describedby={err ? `${id}-err` : undefined} onChange={(e) => change(e.currentTarget.value)} />}
      {err && <p id={`${id}-err`} class="error field-error" role="alert">{err}</p>}
    </div>
  );
}

async function saveConfig(e: Event) {
  e.preventDefault();
  fieldError.value = undefined;
  saved.value = "";
  try {
    const r = await rest<{ changed: string[]; restartRequired: string[] }>("/api/config", { method: "PUT", body: config.value });
    saved.value = r.changed.length ? `Saved: ${r.changed.join(", ")}${r.restartRequired.length ? ` (restart needed for ${r.restartRequired.join(", ")})` : ""}` : "Nothing changed.";
  } catch (err) {
    if (err instanceof RestError && typeof err.details?.path === "string") fieldError.value = { path: err.details.path, message: err.message };
    else saved.value = (err as Error).message;
  }
}

/** The status screen: model and fallbacks, MCP servers and tools, recent log lines (refreshed), the config editor. */
export function Status() {
  useEffect(() => {
    void c().request("agent.info", {}).then((i) => (info.value = i));
    void c().request("mcp.list", {}).then((r) => (mcp.value = r.servers));
    void c().request("bridges.list", {}).then((r) => (bridges.value = r.bridges));
    void rest<{ model: string; fallbackModels: string[] }>("/api/models/active").then((a) => (active.value = a)).catch(() => undefined);
    void rest<Record<string, Json>>("/api/config").then((cfg) => (config.value = cfg));
    const poll = () => void rest<{ entries: typeof logs.value }>("/api/logs?limit=50").then((r) => (logs.value = r.entries)).catch(() => undefined);
    poll();
    const t = setInterval(poll, 3000);
    return () => clearInterval(t);
  }, []);
  return (
    <main class="page status">
      <h2>{info.value?.name ?? "Agent"} <small>agentd {info.value?.version}</small></h2>
      <p>Model: <b>{active.value?.model ?? info.value?.model}</b>{active.value?.fallbackModels.length ? `, fallbacks: ${active.value.fallbackModels.join(", ")}` : ", no fallbacks"}</p>
      <h3>MCP servers</h3>
      {mcp.value.length ? <ul>{mcp.value.map((s) => <li><b>{s.name}</b> {s.state}{s.lastError ? ` (${s.lastError})` : ""}: {s.tools.join(", ") || "no tools"}</li>)}</ul> : <p class="muted">None configured.</p>}
      <h3>Bridges</h3>
      {bridges.value.length ? <ul>{bridges.value.map((b) => <li><b>{b.platform}</b> {b.state}{b.pid ? ` (pid ${b.pid})` : ""}, {b.restarts} restarts</li>)}</ul> : <p class="muted">No supervised bridges (enable one under channels in the config).</p>}
      <h3>Recent log</h3>
      <pre class="logs">{logs.value.map((l) => `${l.time.slice(11, 19)} ${l.level.padEnd(5)} ${l.component}: ${l.message}`).join("\n")}</pre>
      <h3>Config</h3>
      {config.value && (
        <form class="config" onSubmit={saveConfig}>
          {Object.entries(config.value).map(([k, v]) => <Field path={[k]} value={v} />)}
          <button type="submit">Save config</button>
          {saved.value && <p role="status">{saved.value}</p>}
          {fieldError.value && <p class="error" role="alert">Not saved: {fieldError.value.path}: {fieldError.value.message}</p>}
        </form>
      )}
    </main>
  );
}
