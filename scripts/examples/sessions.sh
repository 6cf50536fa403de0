#!/bin/sh
# Lists the agent's sessions, most recently active first (GET /api/sessions).
# usage: sessions.sh AGENT_DIR [LIMIT]
set -eu
. "$(dirname "$0")/agent-env.sh"
curl -sS --fail-with-body "$AGENTD_URL/api/sessions?limit=${2:-20}" -H "Authorization: Bearer $AGENTD_TOKEN"
echo
