import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { AgentdError } from "../../errors.js";
import { defineTool, type Tool } from "./tool.js";
import { dateKey, zonedParts } from "../zoned-time.js";

export { MEMORY_ENTRY_MAX_CHARS } from "../../../protocol/agent.js";
import { MEMORY_ENTRY_MAX_CHARS } from "../../../protocol/agent.js";

/** Appends in flight per file: each waits for the previous one, so concurrent appends never interleave. */
const chains = new Map<string, Promise<unknown>>();

function serialised<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const run = (chains.get(file) ?? Promise.resolve()).then(fn, fn);
  const tail = run.catch(() => undefined);
  chains.set(file, tail);
  void tail.then(() => {
    if (chains.get(file) === tail) chains.delete(file);
  });
  return run;
}

/**
 * The memory line for `text` at `now`: `- [2026-11-21 14:05 Europe/Berlin] text` (a Markdown list item;
 * further lines of `text` are indented by two spaces so they stay inside the item).
 */
export function memoryLine(text: string, now: Date, timeZone: string): string {
  const p = zonedParts(now, timeZone);
  const stamp = `${dateKey(p)} ${String(p.hour).padStart(2, "0")}:${String(p.minute).padStart(2, "0")} ${timeZone}`;
  const body = text.trim().replace(/\r\n?/g, "\n").split("\n").map((l) => l.trimEnd()).join("\n  ");
  return `- [${stamp}] ${body}`;
}

/**
 * Appends one entry to `file` (created if missing): a newline first when the file does not end with one.
 * Appends to the same file are serialised within the process, so concurrent calls never interleave.
 * Throws a `storage_error` AgentdError when the file cannot be written.
 */
export function appendMemory(file: string, line: string): Promise<void> {
  return serialised(file, async () => {
    try {
      const fh = await open(file, "a+");
      try {
        const { size } = await fh.stat();
        let lead = "";
        if (size > 0) {
          const last = Buffer.alloc(1);
          await fh.read(last, 0, 1, size - 1);
          if (last[0] !== 0x0a) lead = "\n";
        }
        await fh.appendFile(`${lead}${line}\n`, "utf8");
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw new AgentdError("storage_error", `could not write MEMORY.md: ${(err as NodeJS.ErrnoException).code ?? "error"}`, { cause: err });
    }
  });
}

/**
 * `memory_read` and `memory_append` over `DIR/MEMORY.md`, the agent's long-term memory (also part of every
 * system prompt, so an entry shows up from the next turn on). `memory_append {text}` adds one timestamped
 * line (see {@link memoryLine}; the time zone is config `agent.timezone`, read per call); it never rewrites
 * the file. `memory_read` returns the file without HTML comments.
 */
export function memoryTools(opts: { dir: string; timeZone: () => string; now?: () => Date }): Tool[] {
  const file = join(opts.dir, "MEMORY.md");
  return [
    defineTool({
      name: "memory_read",
      description: "Read your long-term memory (MEMORY.md).",
      input: z.strictObject({}),
      async run() {
        let text = "";
        try {
          text = (await readFile(file, "utf8")).replace(/<!--[\s\S]*?-->/g, "").trim();
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        }
        return text || "(memory is empty)";
      },
    }),
    defineTool({
      name: "memory_append",
      description: "Save a lasting fact or note to your long-term memory.",
      input: z.strictObject({ text: z.string().trim().min(1).max(MEMORY_ENTRY_MAX_CHARS) }),
      async run({ text }, ctx) {
        if (ctx.signal.aborted) throw new AgentdError("aborted", "aborted");
        const line = memoryLine(text, opts.now?.() ?? new Date(), opts.timeZone());
        await appendMemory(file, line);
        return `Saved: ${line}`;
      },
    }),
  ];
}
