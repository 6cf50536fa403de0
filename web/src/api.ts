import { signal } from "@preact/signals";
import { AgentdClient, ProtocolError } from "../../protocol/client.js";

/** The connection to the daemon this page came from (cookie session), once signed in. */
export const client = signal<AgentdClient | undefined>(undefined);
/** Connection state shown in the header. */
export const online = signal<"connecting" | "open" | "reconnecting" | "signed-out">("connecting");

/** Opens the WebSocket with the session cookie; resolves false when the browser is not signed in. */
export async function connect(): Promise<boolean> {
  const c = new AgentdClient({ url: location.origin, session: "cookie", clientName: "agentd-web" });
  c.onState((s) => (online.value = s === "closed" ? "signed-out" : s));
  try {
    await c.connect();
  } catch (err) {
    c.close();
    if (err instanceof ProtocolError && err.code === "unauthorized") {
      online.value = "signed-out";
      return false;
    }
    throw err;
  }
  online.value = "open";
  client.value = c;
  return true;
}

/** Exchanges a one-time login code or the token for the session cookie. Throws with the server's message. */
export async function signIn(body: { code: string } | { token: string }): Promise<void> {
  const res = await fetch("/api/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(((await res.json()) as { error: { message: string } }).error.message);
}

/** A REST error with the server's wire error (code, message, details). */
export class RestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: Record<string, unknown> | undefined) {
    super(message);
  }
}

/** A cookie-authenticated REST call for the routes with no protocol method (config, logs, models). */
export async function rest<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? "GET",
    headers: init.body !== undefined ? { "content-type": "application/json" } : {},
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const json = res.status === 204 ? undefined : await res.json();
  if (!res.ok) {
    const e = (json as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;
    throw new RestError(res.status, e.code, e.message, e.details);
  }
  return json as T;
}

/** The connected client (the app renders screens only once signed in). */
export function c(): AgentdClient {
  const v = client.value;
  if (!v) throw new Error("not connected");
  return v;
}
