// Lists the agent's sessions, most recently active first (GET /api/sessions).
// usage: node sessions.mjs AGENT_DIR [LIMIT]
import { agent } from "./agent.mjs";

const [dir, limit = "20"] = process.argv.slice(2);
const { api } = agent(dir);
const { sessions } = await (await api(`/api/sessions?limit=${encodeURIComponent(limit)}`)).json();
if (sessions.length === 0) console.log("no sessions yet");
for (const s of sessions) console.log(`${s.id}  ${s.updatedAt}  ${String(s.messageCount).padStart(4)} messages  ${s.title ?? "(untitled)"}`);
