#!/bin/sh
# Prints this month's token usage and cost by model (GET /api/usage).
# usage: usage.sh AGENT_DIR
set -eu
. "$(dirname "$0")/agent-env.sh"
curl -sS --fail-with-body "$AGENTD_URL/api/usage" -H "Authorization: Bearer $AGENTD_TOKEN"
echo
