import { readFile, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import type { HeartbeatCheck } from "./config-sync.js";
import { HEARTBEAT_SILENT_REPLY } from "../config/sections/schedules.js";

/**
 * The actionable part of a heartbeat file: the text without HTML comments, blank lines, Markdown headings and
 * ticked or empty task items (`- [x] …`, `- [ ]`). Empty means "nothing to look at".
 */
export function actionableText(markdown: string): string {
  return markdown
    .replace(/<!--[\s\S]*?-->/g, "")
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "" && !/^\s*#{1,6}(\s|$)/.test(l) && !/^\s*[-*+]\s+\[[xX]\]/.test(l) && !/^\s*[-*+]\s+\[ \]\s*$/.test(l) && !/^\s*[-*+]\s*$/.test(l))
    .join("\n");
}

/** A path of the agent folder; throws when `path` leaves it. */
function inside(dir: string, path: string): string {
  const full = resolve(dir, path);
  const rel = relative(dir, full);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new Error(`${path} is outside the agent folder`);
  return full;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The heartbeat's cheap check (no model call): with `conditions`, true when any holds — `fileChanged` (modified
 * after `previousStartMs`, the start of the last heartbeat; always true on the first one) or `fileNotEmpty`
 * (has {@link actionableText}); without conditions, when the prompt file has actionable text. Returns the prompt
 * that wakes the model, or undefined when there is nothing to look at.
 */
export async function heartbeatPrompt(dir: string, check: HeartbeatCheck, previousStartMs: number | undefined): Promise<string | undefined> {
  const file = inside(dir, check.promptFile);
  const instructions = actionableText((await readText(file)) ?? "");
  let wake = false;
  const reasons: string[] = [];
  if (check.conditions.length === 0) wake = instructions !== "";
  for (const c of check.conditions) {
    if ("fileChanged" in c) {
      const s = await stat(inside(dir, c.fileChanged)).catch(() => undefined);
      if (s && (previousStartMs === undefined || s.mtimeMs > previousStartMs)) {
        wake = true;
        reasons.push(`${c.fileChanged} changed`);
      }
    } else {
      const text = await readText(inside(dir, c.fileNotEmpty));
      if (text !== undefined && actionableText(text) !== "") {
        wake = true;
        reasons.push(`${c.fileNotEmpty} has open items`);
      }
    }
  }
  if (!wake) return undefined;
  return [
    "[Heartbeat check-in]",
    reasons.length > 0 ? `Why now: ${reasons.join("; ")}.` : "",
    instructions ? `Your heartbeat instructions (${check.promptFile}):\n${instructions}` : "",
    `If nothing needs the user's attention right now, answer exactly ${HEARTBEAT_SILENT_REPLY} and nothing else. Otherwise write the message for the user.`,
  ].filter(Boolean).join("\n\n");
}
