import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { AgentdError } from "../errors.js";
import { Store } from "../store/store.js";
import { Scope } from "../../protocol/scopes.js";
import { TokenService, type TokenInfo } from "../tokens/token-service.js";

/** What `agentd token` was asked to do. `dir` is the agent folder (default: the current directory). */
export type TokenCommand =
  | { action: "create"; dir: string; name: string; scopes: string; expires?: string; json?: boolean }
  | { action: "ls"; dir: string; json?: boolean }
  | { action: "revoke"; dir: string; name: string };

const USAGE = "usage: agentd token create NAME --scope chat,read,vault,bridge,admin [--expires 30d] [DIR] | agentd token ls [DIR] | agentd token revoke NAME [DIR]";

/** Parses `--scope chat,vault` into scopes; throws a `bad_request` naming the unknown ones. */
export function parseScopes(text: string | undefined): Scope[] {
  if (!text) throw new AgentdError("bad_request", `--scope is required (one or more of ${Scope.options.join(", ")})\n${USAGE}`);
  const parts = text.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = parts.filter((p) => !Scope.safeParse(p).success);
  if (bad.length > 0 || parts.length === 0) throw new AgentdError("bad_request", `unknown scope${bad.length > 1 ? "s" : ""} ${bad.join(", ")}: use ${Scope.options.join(", ")}`);
  return parts as Scope[];
}

function table(rows: TokenInfo[]): string {
  if (rows.length === 0) return "no named tokens (the owner token is AGENTD_TOKEN in .env)\n";
  const lines = rows.map((t) => [t.name, t.scopes.join(","), t.createdAt.slice(0, 16).replace("T", " "), t.expiresAt ? `${t.expiresAt.slice(0, 16).replace("T", " ")}${t.expired ? " (expired)" : ""}` : "never", t.lastUsedAt ? t.lastUsedAt.slice(0, 16).replace("T", " ") : "never"]);
  const head = ["NAME", "SCOPES", "CREATED (UTC)", "EXPIRES (UTC)", "LAST USED (UTC)"];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [head, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n") + "\n";
}

/**
 * `agentd token create|ls|revoke`: works on the agent folder's database directly (`agentd.db`, WAL, so the
 * daemon may be running; a new or revoked token applies to its next request). The token is printed once and
 * only its SHA-256 is stored. Throws a `bad_request` for a folder without agentd.yaml, bad names, scopes or
 * lifetimes, `conflict` for a name in use, `not_found` for revoking an unknown name.
 */
export function tokenCommand(cmd: TokenCommand, out: (text: string) => void = (t) => process.stdout.write(t)): void {
  const dir = resolve(cmd.dir);
  if (!existsSync(join(dir, "agentd.yaml"))) throw new AgentdError("bad_request", `${dir} is not an agent folder (no agentd.yaml)\n${USAGE}`);
  const store = new Store(join(dir, "agentd.db"));
  try {
    const tokens = new TokenService(store.tokens);
    if (cmd.action === "create") {
      const created = tokens.create({ name: cmd.name, scopes: parseScopes(cmd.scopes), ...(cmd.expires ? { expires: cmd.expires } : {}) });
      if (cmd.json) return out(`${JSON.stringify(created)}\n`);
      out(`${created.token}\n`);
      process.stderr.write(`token "${created.info.name}" (scopes ${created.info.scopes.join(", ")}; ${created.info.expiresAt ? `expires ${created.info.expiresAt}` : "never expires"}).\nIt is shown only now: agentd keeps only its SHA-256. Revoke it with: agentd token revoke ${created.info.name} ${cmd.dir}\n`);
    } else if (cmd.action === "ls") {
      const list = tokens.list();
      out(cmd.json ? `${JSON.stringify({ tokens: list })}\n` : table(list));
    } else {
      tokens.revoke(cmd.name);
      out(`revoked token "${cmd.name}"\n`);
    }
  } finally {
    store.close();
  }
}

/** Parses `agentd token …` positionals and options into a {@link TokenCommand}; throws `bad_request` with the usage. */
export function parseTokenCommand(positionals: string[], values: { scope?: string; expires?: string; json?: boolean }): TokenCommand {
  const [action, ...rest] = positionals;
  const json = values.json === true;
  if (action === "create" && rest[0]) return { action, name: rest[0], dir: rest[1] ?? ".", scopes: values.scope ?? "", ...(values.expires ? { expires: values.expires } : {}), json };
  if (action === "ls" || action === "list") return { action: "ls", dir: rest[0] ?? ".", json };
  if ((action === "revoke" || action === "rm") && rest[0]) return { action: "revoke", name: rest[0], dir: rest[1] ?? "." };
  throw new AgentdError("bad_request", USAGE);
}
