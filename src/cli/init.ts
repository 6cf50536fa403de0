import { randomBytes } from "node:crypto";
import { WORKSPACE_FOLDER } from "../tools/workspace.js";
import { cpSync, existsSync, readFileSync, renameSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { PACKAGE_ROOT } from "../version.js";
import { AgentdError } from "../errors.js";

/** Files whose presence means a folder already holds an agent. */
const AGENT_MARKERS = ["agentd.yaml", "agentd.db", ".env"];

/**
 * `agentd init DIR`: copies `agent-template/` into DIR (created if needed), makes `DIR/workspace/`, names the
 * agent after the folder, and writes a fresh 32-byte base64url token to `DIR/.env` as `AGENTD_TOKEN` (mode 0600).
 * Throws a `conflict` {@link AgentdError} when DIR already holds an agent, and changes nothing then.
 * Returns the lines to print.
 */
export function initAgent(dirArg: string): string[] {
  const dir = resolve(dirArg);
  const marker = AGENT_MARKERS.find((f) => existsSync(join(dir, f)));
  if (marker) throw new AgentdError("conflict", `${dir} already holds an agent (${marker} exists); nothing was changed`);
  if (existsSync(dir) && readdirSync(dir).some((f) => existsSync(join(PACKAGE_ROOT, "agent-template", f)))) {
    throw new AgentdError("conflict", `${dir} has files that agentd init would overwrite; nothing was changed`);
  }
  mkdirSync(dir, { recursive: true });
  cpSync(join(PACKAGE_ROOT, "agent-template"), dir, { recursive: true, errorOnExist: true, force: false });
  // npm never ships a file named .gitignore, so the template holds it as `gitignore`
  if (existsSync(join(dir, "gitignore"))) renameSync(join(dir, "gitignore"), join(dir, ".gitignore"));
  // the folder exec and the file tools work in (issue 13); git keeps no empty folder, so it is made here
  mkdirSync(join(dir, WORKSPACE_FOLDER), { recursive: true });
  const yamlFile = join(dir, "agentd.yaml");
  const name = basename(dir).replace(/[^a-zA-Z0-9._-]/g, "-").replace(/^[^a-zA-Z0-9]+/, "") || "agent";
  writeFileSync(yamlFile, readFileSync(yamlFile, "utf8").replace("__AGENT_NAME__", name));
  const token = randomBytes(32).toString("base64url");
  writeFileSync(join(dir, ".env"), `# Secrets of this agent. Never commit this file.\nAGENTD_TOKEN=${token}\n`, { mode: 0o600 });
  const shown = relative(process.cwd(), dir) || ".";
  const arg = shown.startsWith(".") || shown.startsWith("/") ? shown : `./${shown}`;
  return [
    `Created agent "${name}" in ${dir}`,
    `Put your model's API key in ${join(arg, ".env")} (e.g. OPENAI_API_KEY=...) and check ${join(arg, "agentd.yaml")}.`,
    "Next:",
    `  agentd start ${arg}`,
    `  agentd chat ${arg}`,
  ];
}
