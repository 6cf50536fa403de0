# Sourced by the curl examples: finds a running agent from its folder.
# Sets AGENTD_URL (http://127.0.0.1:<port from DIR/.port>) and AGENTD_TOKEN (AGENTD_TOKEN in DIR/.env,
# else the environment's). Exits with a clear message when the agent is not running.
agent_dir="${1:?usage: $0 AGENT_DIR ...}"
if [ ! -f "$agent_dir/.port" ]; then
  echo "the agent in $agent_dir is not running (no $agent_dir/.port); start it with: agentd start $agent_dir" >&2
  exit 1
fi
AGENTD_URL="http://127.0.0.1:$(tr -d '[:space:]' < "$agent_dir/.port")"
env_token="$(sed -n 's/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}AGENTD_TOKEN=//p' "$agent_dir/.env" 2>/dev/null | tail -n 1 | sed "s/^[\"']//; s/[\"']\$//")"
AGENTD_TOKEN="${env_token:-${AGENTD_TOKEN:-}}"
if [ -z "$AGENTD_TOKEN" ]; then
  echo "no token: AGENTD_TOKEN is neither in $agent_dir/.env nor in the environment" >&2
  exit 1
fi
# JSON-encodes its arguments as one object: json_object key value [key value ...] (node is there: agentd needs it)
json_object() {
  node -e 'const a = process.argv.slice(1); const o = {}; for (let i = 0; i < a.length; i += 2) o[a[i]] = a[i + 1]; process.stdout.write(JSON.stringify(o));' "$@"
}
