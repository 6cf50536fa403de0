import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { actionableText, heartbeatPrompt } from "./heartbeat.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function folder(): string {
  const d = mkdtempSync(join(tmpdir(), "agentd-hb-"));
  dirs.push(d);
  return d;
}

describe("heartbeat cheap check", () => {
  it("counts only open items: not headings, comments, blank lines, ticked or empty tasks", () => {
    expect(actionableText("# Heartbeat\n\n<!-- one per line -->\n- [x] done\n- [ ]\n-\n")).toBe("");
    expect(actionableText("# H\n- [ ] water the plants\n- [X] old\nCheck the inbox")).toBe("- [ ] water the plants\nCheck the inbox");
  });

  it("with conditions: wakes on a file changed since the last heartbeat or one with open items, else stays asleep", async () => {
    const dir = folder();
    writeFileSync(join(dir, "HEARTBEAT.md"), "- Tell me about urgent mail\n");
    writeFileSync(join(dir, "inbox.md"), "x");
    writeFileSync(join(dir, "waiting.md"), "# Waiting\n");
    utimesSync(join(dir, "inbox.md"), new Date(1000_000), new Date(1000_000));
    const check = { promptFile: "HEARTBEAT.md", conditions: [{ fileChanged: "inbox.md" }, { fileNotEmpty: "waiting.md" }] };
    expect(await heartbeatPrompt(dir, check, 2000_000)).toBeUndefined();
    const first = await heartbeatPrompt(dir, check, undefined);
    expect(first).toContain("Why now: inbox.md changed.");
    expect(first).toContain("Tell me about urgent mail");
    writeFileSync(join(dir, "waiting.md"), "- Bob's reply\n");
    expect(await heartbeatPrompt(dir, check, Date.now() + 60_000)).toContain("waiting.md has open items");
  });

  it("refuses a path outside the agent folder", async () => {
    await expect(heartbeatPrompt(folder(), { promptFile: "../../etc/passwd", conditions: [] }, undefined)).rejects.toThrow(/outside the agent folder/);
  });
});
