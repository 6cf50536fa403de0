import { describe, it, expect } from "vitest";
import { pino } from "pino";
import { z } from "zod";
import { setTimeout as sleep } from "node:timers/promises";
import { capOutput, runToolCalls, type ToolResult } from "./tool-exec.js";
import { defineTool, type Tool } from "./tools/tool.js";

const logger = pino({ level: "silent" });
let toolSignal: AbortSignal | undefined;
const tools = new Map<string, Tool>(
  [
    defineTool({ name: "echo", description: "Echo.", input: z.strictObject({ text: z.string() }), run: async ({ text }) => text }),
    defineTool({ name: "slow", description: "Slow.", input: z.strictObject({}), run: async () => (await sleep(200), "slow done") }),
    defineTool({ name: "fail", description: "Fail.", input: z.strictObject({}), run: async () => { throw new Error("disk on fire"); } }),
    defineTool({
      name: "hang", description: "Hang.", input: z.strictObject({}),
      run: (_a, ctx) => {
        toolSignal = ctx.signal;
        return new Promise<string>(() => {});
      },
    }),
  ].map((t) => [t.name, t]),
);

function run(calls: Array<{ name: string; arguments: string }>, opts: { signal?: AbortSignal; timeoutMs?: number; maxChars?: number; redact?: (t: string) => string } = {}) {
  const seen: ToolResult[] = [];
  const p = runToolCalls(calls.map((c, i) => ({ id: `c${i}`, ...c })), {
    tools, signal: opts.signal ?? new AbortController().signal, timeoutMs: opts.timeoutMs ?? 5000, maxChars: opts.maxChars ?? 1000,
    sessionId: "s", runId: "r", logger, onResult: (r) => seen.push(r), ...(opts.redact ? { redact: opts.redact } : {}),
  });
  return { p, seen };
}

describe("tool execution", () => {
  it("runs the calls of one step concurrently and answers in call order", async () => {
    const started = Date.now();
    const { p, seen } = run([{ name: "slow", arguments: "{}" }, { name: "slow", arguments: "{}" }, { name: "echo", arguments: '{"text":"hi"}' }]);
    const results = await p;
    expect(Date.now() - started).toBeLessThan(380);
    expect(results.map((r) => [r.toolCallId, r.content, r.isError])).toEqual([["c0", "slow done", false], ["c1", "slow done", false], ["c2", "hi", false]]);
    expect(seen[0]!.toolCallId).toBe("c2"); // results stream as they come
  });

  it("turns bad JSON, unknown tools, bad arguments and thrown errors into error results", async () => {
    const { p } = run([
      { name: "echo", arguments: '{"text": "unterminated' },
      { name: "nope", arguments: "{}" },
      { name: "echo", arguments: '{"text": 5}' },
      { name: "fail", arguments: "" },
    ]);
    const r = await p;
    expect(r.every((x) => x.isError)).toBe(true);
    expect(r[0]!.content).toMatch(/^Error: the arguments are not valid JSON/);
    expect(r[1]!.content).toBe('Error: unknown tool "nope"');
    expect(r[2]!.content).toMatch(/^Error: invalid arguments: text/);
    expect(r[3]!.content).toBe("Error: disk on fire");
  });

  it("times a call out, aborting its signal", async () => {
    const { p } = run([{ name: "hang", arguments: "{}" }], { timeoutMs: 100 });
    const [r] = await p;
    expect(r).toMatchObject({ isError: true, content: "Error: the tool timed out after 100 ms" });
    expect(toolSignal?.aborted).toBe(true);
  });

  it("stops running tools within 100 ms of a run abort", async () => {
    const ac = new AbortController();
    const { p } = run([{ name: "hang", arguments: "{}" }, { name: "slow", arguments: "{}" }], { signal: ac.signal });
    await sleep(20);
    const t0 = Date.now();
    ac.abort();
    const r = await p;
    expect(Date.now() - t0).toBeLessThan(100);
    expect(r.map((x) => x.content)).toEqual(["Error: aborted", "Error: aborted"]);
    expect(toolSignal?.aborted).toBe(true);
  });

  it("caps long outputs with a marker saying how much was cut, after redaction", async () => {
    const { p } = run([{ name: "echo", arguments: JSON.stringify({ text: `secret ${"a".repeat(1500)}` }) }], { maxChars: 256, redact: (t) => t.replaceAll("secret", "[redacted]") });
    const [r] = await p;
    expect(r!.content).toBe(`[redacted] ${"a".repeat(245)}\n[… truncated 1,255 characters]`);
    expect(capOutput("short", 10)).toBe("short");
  });

  it("redacts only the head of a huge output (bounded work), still catching a secret that spans the cut", () => {
    const seen: number[] = [];
    const redact = (t: string) => {
      seen.push(t.length);
      return t.replaceAll("sk-secret-key", "[redacted]");
    };
    const out = capOutput(`${"a".repeat(250)}sk-secret-key${"b".repeat(5_000_000)}`, 256, redact);
    expect(Math.max(...seen)).toBeLessThan(100_000);
    expect(out).not.toContain("sk-secr");
    expect(out).toMatch(/^a{250}\[redac\n\[… truncated 5,00\d,\d{3} characters\]$/);
  });

  it("never splits a surrogate pair at the cut", () => {
    const out = capOutput(`${"a".repeat(255)}😀😀😀`, 256);
    expect(out.startsWith(`${"a".repeat(255)}\n`)).toBe(true);
    expect(Buffer.from(out).toString()).toBe(out); // well-formed: no lone surrogate turned into U+FFFD
  });
});
