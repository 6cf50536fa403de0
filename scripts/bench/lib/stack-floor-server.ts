/**
 * The floor of agentd's own stack, for the start and memory benchmarks (issue 20): the smallest server built on
 * the libraries the daemon's gateway and store stand on, and nothing of agentd. It opens a SQLite database in WAL
 * mode with better-sqlite3, serves `GET /api/health` through Hono on @hono/node-server (which loads Node's
 * bundled undici for the web Request/Response, as the daemon's gateway does), and writes the port to `DIR/.port`
 * once it listens, as `agentd start` does. What it takes to start and the RSS it holds idle are what any server on
 * these libraries costs before it does anything; the benches print the daemon's figures beside it.
 * Run: `node dist/scripts/bench/lib/stack-floor-server.js start DIR` (the arguments `agentd start DIR` takes, so
 * the start bench's timing loop runs it unchanged). Port 0: the kernel picks a free one. On SIGTERM it removes
 * `.port` and exits.
 */
import { serve } from "@hono/node-server";
import Database from "better-sqlite3";
import { Hono } from "hono";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[3];
if (process.argv[2] !== "start" || !dir) {
  process.stderr.write("usage: stack-floor-server.js start DIR\n");
  process.exit(2);
}
const db = new Database(join(dir, "stack-floor.db"));
db.pragma("journal_mode = WAL");
const one = db.prepare("SELECT 1 AS ok");
const app = new Hono();
app.get("/api/health", (c) => c.json({ ok: (one.get() as { ok: number }).ok === 1 }));
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => writeFileSync(join(dir, ".port"), String(info.port)));
// like the daemon, take `.port` away on the way out, so the next start in the same folder waits for its own
process.once("SIGTERM", () => {
  rmSync(join(dir, ".port"), { force: true });
  server.close(() => process.exit(0));
});
