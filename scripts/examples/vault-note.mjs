// Creates or replaces a note in the agent's vault (PUT /api/vault/notes/{path}).
// usage: node vault-note.mjs AGENT_DIR "Folder/Note.md" "markdown content"
import { agent } from "./agent.mjs";

const [dir, path, content] = process.argv.slice(2);
const { api } = agent(dir);
if (!path || content === undefined) {
  console.error('usage: node vault-note.mjs AGENT_DIR "Folder/Note.md" "markdown content"');
  process.exit(64);
}
const encoded = path.split("/").map(encodeURIComponent).join("/");
const res = await (await api(`/api/vault/notes/${encoded}`, { method: "PUT", body: JSON.stringify({ content }) })).json();
console.log(`${res.created ? "created" : "updated"} ${res.path} (etag ${res.etag})`);
