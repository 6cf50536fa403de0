import { createHash } from "node:crypto";
import type { CallToolResult, ContentBlock } from "@modelcontextprotocol/sdk/types.js";

/** Longest tool description sent to the model, in characters (keeps requests lean, DESIGN.md §6). */
export const MAX_TOOL_DESCRIPTION_CHARS = 200;

/** Longest tool name the model accepts (OpenAI: `^[a-zA-Z0-9_-]{1,64}$`). */
const MAX_TOOL_NAME_CHARS = 64;

/**
 * The name the model sees for tool `tool` of MCP server `server`: `<server>__<tool>` (issue 3). Characters
 * outside `a-z A-Z 0-9 _ -` become `_`; a name over 64 characters is cut and ends in `_` + 6 hex digits of a
 * hash of the original tool name, so it stays unique and stable.
 */
export function exposedToolName(server: string, tool: string): string {
  const name = `${server}__${tool.replace(/[^a-zA-Z0-9_-]/g, "_")}`;
  if (name.length <= MAX_TOOL_NAME_CHARS) return name;
  const hash = createHash("sha256").update(tool).digest("hex").slice(0, 6);
  return `${name.slice(0, MAX_TOOL_NAME_CHARS - 7)}_${hash}`;
}

/**
 * One short line describing an MCP tool for the model: the first non-empty line of `description` (else
 * `title`, else `fallback`), whitespace collapsed, cut to {@link MAX_TOOL_DESCRIPTION_CHARS} with `…`.
 */
export function shortDescription(description: string | undefined, title: string | undefined, fallback: string): string {
  const source = [description, title].find((s) => s !== undefined && s.trim() !== "") ?? fallback;
  const line = (source.split("\n").find((l) => l.trim() !== "") ?? source).replace(/\s+/g, " ").trim();
  return line.length <= MAX_TOOL_DESCRIPTION_CHARS ? line : `${line.slice(0, MAX_TOOL_DESCRIPTION_CHARS - 1).trimEnd()}…`;
}

/** Decoded size in bytes of a base64 string. */
function base64Bytes(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/**
 * One content part as text: text parts as they are; an embedded text resource as its text under a
 * `[resource <uri>]` line; anything else one summary line, e.g. `[image image/png 1234 bytes]`,
 * `[audio audio/wav 800 bytes]`, `[resource <uri> application/pdf 5120 bytes]`, `[resource link <uri> (name)]`.
 */
export function formatContentPart(part: ContentBlock): string {
  switch (part.type) {
    case "text":
      return part.text;
    case "image":
    case "audio":
      return `[${part.type} ${part.mimeType} ${base64Bytes(part.data)} bytes]`;
    case "resource": {
      const r = part.resource;
      if ("text" in r) return `[resource ${r.uri}]\n${r.text}`;
      return `[resource ${r.uri}${r.mimeType ? ` ${r.mimeType}` : ""} ${base64Bytes(r.blob)} bytes]`;
    }
    case "resource_link":
      return `[resource link ${part.uri} (${part.name})]`;
    default:
      return `[${(part as { type: string }).type}]`;
  }
}

/**
 * The text the model gets for an MCP `tools/call` result: content parts joined by newlines (see
 * {@link formatContentPart}); with no content parts, the `structuredContent` (or legacy `toolResult`) as JSON;
 * `""` when there is nothing at all. `isError` is not looked at here.
 */
export function formatToolResult(result: Partial<CallToolResult> & { toolResult?: unknown }): string {
  const parts = Array.isArray(result.content) ? result.content : [];
  if (parts.length > 0) return parts.map(formatContentPart).join("\n");
  if (result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  if (result.toolResult !== undefined) return JSON.stringify(result.toolResult);
  return "";
}

/**
 * Whether the server-side tool `tool` passes a server's `tools` filter: listed in `allow` (or `allow` is
 * absent/empty) and not listed in `deny`.
 */
export function isToolAllowed(filter: { allow?: string[] | undefined; deny?: string[] | undefined } | undefined, tool: string): boolean {
  if (!filter) return true;
  if (filter.deny?.includes(tool)) return false;
  return !filter.allow || filter.allow.length === 0 || filter.allow.includes(tool);
}
