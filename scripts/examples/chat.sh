#!/bin/sh
# Sends one message and prints the reply as it streams (Server-Sent Events from POST /api/chat).
# usage: chat.sh AGENT_DIR "message" [SESSION_ID]
set -eu
. "$(dirname "$0")/agent-env.sh"
text="${2:?usage: chat.sh AGENT_DIR \"message\" [SESSION_ID]}"
if [ -n "${3:-}" ]; then body="$(json_object text "$text" sessionId "$3")"; else body="$(json_object text "$text")"; fi
curl -sS -N --fail-with-body "$AGENTD_URL/api/chat" \
  -H "Authorization: Bearer $AGENTD_TOKEN" -H "Content-Type: application/json" -H "Accept: text/event-stream" \
  --data-binary "$body"
