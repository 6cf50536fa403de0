import { resolve } from "node:path";
import { loadDotenv } from "../config/load.js";
import { vaultIndexStatus } from "../vault/index-status.js";
import { checkDatabase, checkDisk, checkNode, checkConfig, checkPort, checkSandbox, checkToken } from "./local-checks.js";
import { checkBridges, checkMcp, checkProviders } from "./remote-checks.js";
import { result, type CheckResult, type DoctorReport } from "./types.js";

/** Options of {@link runDoctor}: `paid` adds one-token model calls (a provider may bill them); `onCheck` sees each result as it comes. */
export interface DoctorOptions {
  paid?: boolean;
  onCheck?: (c: CheckResult) => void;
}

/** Compares the vault index with `vault/` (see `vaultIndexStatus`). */
export function checkVaultIndex(dir: string, running: boolean): CheckResult {
  const s = vaultIndexStatus(dir);
  const title = "vault index";
  if (s.state === "missing") return result("vault-index", title, "ok", "vault-index.db does not exist yet (the daemon builds it from vault/ at start)");
  if (s.state === "corrupt") {
    return result("vault-index", title, "fail", `vault-index.db is not usable: ${s.reason}`, running
      ? `agentd stop ${dir}; delete ${dir}/vault-index.db; agentd start ${dir} (the index is a cache, rebuilt from vault/)`
      : `delete ${dir}/vault-index.db, or just start the agent: it rebuilds an unusable index from vault/ (it is a cache, nothing is lost)`);
  }
  const off = s.unindexed + s.stale + s.gone;
  if (off === 0) return result("vault-index", title, "ok", `in sync with vault/ (${s.notes} note${s.notes === 1 ? "" : "s"})`);
  const what = [s.unindexed && `${s.unindexed} not indexed`, s.stale && `${s.stale} changed since indexed`, s.gone && `${s.gone} deleted but still indexed`].filter(Boolean).join(", ");
  return result("vault-index", title, "fail", `out of sync with vault/: ${what} (e.g. ${s.examples.join(", ")})`, running
    ? "the running daemon watches vault/ and catches up within seconds; if this persists, restart it (agentd stop / agentd start): it reconciles at start"
    : "start the agent: it reconciles the index with vault/ at start");
}

/**
 * `agentd doctor DIR`: the checks, in order: Node version; config valid; token present and `.env` mode 0600;
 * port free or daemon running; each provider's key (a `models` list; with `paid`, a one-token call per model);
 * each enabled bridge's token with its platform; MCP servers start and list tools; disk space; database integrity
 * (`PRAGMA quick_check`); vault index in sync; sandbox (`bwrap`) availability. Checks that need a valid config are
 * skipped when it is not. `.env` is read into a copy of the environment (this process's is not changed).
 * Never throws for a broken agent: every problem is a failed check.
 */
export async function runDoctor(dirArg: string, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const dir = resolve(dirArg);
  const checks: CheckResult[] = [];
  const add = (c: CheckResult) => {
    checks.push(c);
    opts.onCheck?.(c);
  };
  const env = { ...process.env };
  loadDotenv(dir, env);
  add(checkNode());
  const { check, config } = checkConfig(dir, env);
  add(check);
  add(checkToken(dir, env));
  const { check: port, probe } = await checkPort(dir, config);
  add(port);
  if (config) {
    for (const c of await checkProviders(dir, config, { paid: opts.paid === true })) add(c);
    for (const c of await checkBridges(dir, config, env)) add(c);
    for (const c of await checkMcp(dir, config)) add(c);
  } else {
    add(result("providers", "providers, bridges, MCP", "skip", "not checked: the config is not valid"));
  }
  add(checkDisk(dir));
  add(checkDatabase(dir));
  add(checkVaultIndex(dir, probe.state === "running"));
  add(checkSandbox());
  return { dir, ok: checks.every((c) => c.status !== "fail"), checks };
}
