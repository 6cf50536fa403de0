// Generates docs/rest.md (every REST route with a curl example) from the OpenAPI document a real daemon serves
// (GET /api/openapi.json): starts the built CLI on a throwaway agent folder, reads the document, stops it.
// `node dist/scripts/gen-rest-docs.js --check` exits 1 when the committed file is stale (CI runs it).
// Needs `npm run build` first (it runs dist/bundle/src/cli/main.js, what the `agentd` bin loads).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseDotenv } from "../protocol/endpoint.js";
import { initAgent } from "../src/cli/init.js";
import { PACKAGE_ROOT } from "../src/version.js";
import { writeOrCheck } from "./lib/write-or-check.js";

type Json = any;
const BASE = "http://127.0.0.1:8765";

/** Starts a daemon on a fresh agent folder and returns its OpenAPI document. */
async function fetchDocument(): Promise<Json> {
  const root = mkdtempSync(join(tmpdir(), "agentd-docs-"));
  const dir = join(root, "agent");
  initAgent(dir);
  const yamlFile = join(dir, "agentd.yaml");
  writeFileSync(yamlFile, readFileSync(yamlFile, "utf8").replace(/^( {2}port:) \d+/m, `$1 ${20000 + Math.floor(Math.random() * 20000)}`));
  const token = parseDotenv(readFileSync(join(dir, ".env"), "utf8")).AGENTD_TOKEN!;
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, "dist", "bundle", "src", "cli", "main.js"), "start", dir], {
    stdio: "ignore", env: { ...process.env, AGENTD_TOKEN: "", TZ: "UTC" },
  });
  try {
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`the daemon exited with ${child.exitCode} (run npm run build first?)`);
      if (existsSync(join(dir, ".port"))) {
        const port = readFileSync(join(dir, ".port"), "utf8").trim();
        const res = await fetch(`http://127.0.0.1:${port}/api/openapi.json`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
        if (res?.ok) return await res.json();
      }
      await sleep(50);
    }
    throw new Error("the daemon did not serve /api/openapi.json within 10 s");
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
    rmSync(root, { recursive: true, force: true });
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
const typeOf = (s: Json): string => {
  if (!s) return "any";
  if (s.enum) return s.enum.map((v: unknown) => `\`${String(v)}\``).join(" \\| ");
  if (Array.isArray(s.type)) return s.type.join(" \\| ");
  return s.type ?? (s.anyOf ? s.anyOf.map(typeOf).join(" \\| ") : "any");
};

/** One curl command for an operation, with the example parameters and body of the document. */
function curl(method: string, path: string, op: Json): string {
  const params = (op.parameters ?? []) as Json[];
  const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const ex = params.find((p) => p.in === "path" && p.name === name)?.example;
    return ex !== undefined ? encodeURIComponent(String(ex)).replace(/%2F/g, "/") : name.toUpperCase();
  });
  const query = params.filter((p) => p.in === "query" && p.example !== undefined).map((p) => `${p.name}=${encodeURIComponent(String(p.example))}`).join("&");
  const lines = [`curl -s${method === "get" ? "" : ` -X ${method.toUpperCase()}`} "${BASE}${url}${query ? `?${query}` : ""}"`];
  if (!(Array.isArray(op.security) && op.security.length === 0)) lines.push(`-H "Authorization: Bearer $AGENTD_TOKEN"`);
  const content = op.requestBody?.content ?? {};
  if (content["application/json"]) {
    lines.push(`-H "Content-Type: application/json"`);
    const ex = content["application/json"].example;
    lines.push(`-d ${shellQuote(JSON.stringify(ex ?? {}))}`);
  } else if (content["multipart/form-data"]) {
    lines.push(`-F "file=@./photo.jpg"`);
  }
  return lines.join(" \\\n  ");
}

/** Renders the Markdown reference of an OpenAPI document (deterministic: no versions, ports or defaults). */
function renderRestDocs(doc: Json): string {
  const ops: Array<{ method: string; path: string; op: Json }> = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(methods)) ops.push({ method, path, op });
  }
  const tags = [...new Set(ops.map((o) => o.op.tags?.[0] ?? "other"))];
  const out: string[] = [
    "# REST API",
    "",
    "<!-- Generated from GET /api/openapi.json by `npm run docs:rest`; do not edit by hand. -->",
    "",
    "Every agent serves REST under `/api` on the port in its folder's `.port` (default 8765; WebSocket at `/ws` on the same port).",
    "Every route but `GET /api/health` needs `Authorization: Bearer $AGENTD_TOKEN` (the owner token, in the agent folder's `.env`, scope `admin`)",
    "or a named token (`agentd token create NAME --scope chat,vault`, see [security.md](security.md)). Each route below names the scopes that",
    "may call it (`admin` always may); another token gets `403` `forbidden`. `/v1/*` is OpenAI-compatible and answers errors in OpenAI's",
    "shape; `/mcp` is agentd's MCP server (see [integrations.md](integrations.md)).",
    "Bodies are JSON. Errors are JSON too, never HTML: `{ \"error\": { \"code\", \"message\", \"details\"? } }` with the status of",
    "the code (`bad_request` 400 with `details.path` naming the bad field, `unauthorized` 401, `not_found` 404, `conflict` 409, …).",
    "The full request and response schemas are in the OpenAPI 3.1 document: `GET /api/openapi.json`.",
    "",
    "```bash",
    "export AGENTD_TOKEN=$(grep AGENTD_TOKEN my-agent/.env | cut -d= -f2)",
    "```",
    "",
    "| Method | Path | What it does |",
    "| --- | --- | --- |",
    ...ops.map((o) => `| ${o.method.toUpperCase()} | [\`${o.path}\`](#${anchor(o.method, o.path)}) | ${firstSentence(o.op.summary)} |`),
    "",
  ];
  for (const tag of tags) {
    out.push(`## ${tag}`, "");
    for (const { method, path, op } of ops.filter((o) => (o.op.tags?.[0] ?? "other") === tag)) {
      out.push(`### ${method.toUpperCase()} ${path}`, "", op.summary, "");
      const params = (op.parameters ?? []) as Json[];
      if (params.length > 0) {
        out.push("| Parameter | In | Type | Required | Description |", "| --- | --- | --- | --- | --- |");
        for (const p of params) out.push(`| \`${p.name}\` | ${p.in} | ${typeOf(p.schema)} | ${p.required ? "yes" : "no"} | ${(p.description ?? "").replace(/\|/g, "\\|")} |`);
        out.push("");
      }
      const statuses = Object.keys(op.responses);
      const ok = statuses.filter((s) => s.startsWith("2"));
      const errors = statuses.filter((s) => !s.startsWith("2"));
      const scopes = (op["x-agentd-scopes"] ?? []) as string[];
      const auth = Array.isArray(op.security) && op.security.length === 0
        ? "no token"
        : `bearer token with scope ${[...scopes.filter((x) => x !== "admin"), "admin"].map((x) => `\`${x}\``).join(" or ")}`;
      out.push(`Answers ${ok.join(", ")}${errors.length ? `; errors ${errors.join(", ")}` : ""}. Auth: ${auth}.`, "");
      out.push("```bash", curl(method, path, op), "```", "");
    }
  }
  return out.join("\n");
}

function anchor(method: string, path: string): string {
  return `${method} ${path}`.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

function firstSentence(s: string): string {
  const m = /^(.*?[.!?])(\s|$)/.exec(s);
  return (m?.[1] ?? s).replace(/\|/g, "\\|");
}

const file = join(PACKAGE_ROOT, "docs", "rest.md");
const text = renderRestDocs(await fetchDocument());
writeOrCheck(file, text, "npm run build && npm run docs:rest");
