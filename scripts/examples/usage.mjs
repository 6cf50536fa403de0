// Prints this month's token usage and cost by model (GET /api/usage).
// usage: node usage.mjs AGENT_DIR
import { agent } from "./agent.mjs";

const { api } = agent(process.argv[2]);
const u = await (await api("/api/usage")).json();
const row = (name, t) =>
  `${name.padEnd(24)} ${String(t.calls).padStart(6)} calls ${String(t.promptTokens).padStart(10)} in ${String(t.completionTokens).padStart(10)} out  $${t.costUsd.toFixed(4)}${t.unpricedCalls ? ` (+${t.unpricedCalls} unpriced calls)` : ""}`;
console.log(`usage for ${u.month} (${u.timeZone}), since ${u.from}`);
for (const m of u.models) console.log(row(`${m.model} (${m.provider})`, m));
console.log(row("total", u.total));
