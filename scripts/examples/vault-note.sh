#!/bin/sh
# Creates or replaces a note in the agent's vault (PUT /api/vault/notes/{path}).
# usage: vault-note.sh AGENT_DIR "Folder/Note.md" "markdown content"
set -eu
. "$(dirname "$0")/agent-env.sh"
note="${2:?usage: vault-note.sh AGENT_DIR NOTE_PATH CONTENT}"
content="${3:?usage: vault-note.sh AGENT_DIR NOTE_PATH CONTENT}"
# percent-encode each path segment, keep the slashes
encoded="$(node -e 'process.stdout.write(process.argv[1].split("/").map(encodeURIComponent).join("/"))' "$note")"
curl -sS --fail-with-body -X PUT "$AGENTD_URL/api/vault/notes/$encoded" \
  -H "Authorization: Bearer $AGENTD_TOKEN" -H "Content-Type: application/json" \
  --data-binary "$(json_object content "$content")"
echo
