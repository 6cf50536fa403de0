/** Placeholders of a hook prompt: `{{body}}`, `{{body.a.b}}`, `{{headers.name}}` (spaces inside the braces allowed). */
const PLACEHOLDER = /\{\{\s*(body|headers)((?:\.[^\s.{}]+)*)\s*\}\}/g;

/** Longest text one placeholder expands to, in characters (a body is capped by the hook's `maxBytes` as well). */
export const PLACEHOLDER_MAX_CHARS = 20_000;

function show(v: unknown): string {
  const text = v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v, null, 2);
  return text.length > PLACEHOLDER_MAX_CHARS ? `${text.slice(0, PLACEHOLDER_MAX_CHARS)}…` : text;
}

/**
 * Fills a webhook's prompt template: `{{body}}` is the whole body (JSON, pretty), `{{body.repository.full_name}}`
 * one value (objects as JSON; a missing one is empty), `{{headers.x-github-event}}` a request header (lowercase
 * names). A template without placeholders gets the body appended in a fenced block, so the agent always sees it.
 */
export function renderHookPrompt(template: string, body: unknown, headers: Record<string, string>): string {
  let used = false;
  const out = template.replace(PLACEHOLDER, (_m, root: string, path: string) => {
    used = true;
    const keys = path.split(".").filter(Boolean);
    if (root === "headers") return show(headers[keys.join(".").toLowerCase()]);
    let v: unknown = body;
    for (const k of keys) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
    return show(v);
  });
  return used ? out : `${out}\n\n\`\`\`json\n${show(body)}\n\`\`\``;
}
