/**
 * Source maps (issue 18): the bundle ships linked maps (dist/bundle/**.js.map) and agentd maps an error's stack to
 * src/…ts when it logs one, so the daemon's log names our TypeScript files, not bundle chunks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { cleanup, initAgent, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";

let llm: FakeLlm;
let agent: { dir: string };
let daemon: RunningDaemon;

beforeAll(async () => {
  llm = await startFakeLlm();
  agent = await initAgent({ llmUrl: llm.url });
  daemon = await startDaemon(agent.dir);
});

afterAll(async () => {
  await daemon?.stop();
  await llm?.close();
  if (agent) cleanup(agent.dir);
});

describe("an error in the daemon's log", () => {
  it("has a stack naming src/…ts files, not bundle chunks", async () => {
    let n = 0;
    // the chat turn succeeds; the session-title request after it fails (500), which the daemon logs with its error
    llm.onRequest(() => (n++ === 0 ? { text: "hello" } : { status: 500 }));
    const r = await daemon.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "hi" }) });
    expect(r.status).toBe(200);
    const line = await waitFor(() => daemon.output().split("\n").find((l) => l.includes('"stack"')), "an error logged with its stack", 30_000);
    const stack = (JSON.parse(line) as { err: { stack: string } }).err.stack;
    const frames = stack.split("\n").filter((l) => /^\s+at /.test(l));
    // our frames name the TypeScript sources (src/agent/title.ts…) with line and column; none names a bundle file
    expect(frames.some((f) => /[\\/]src[\\/]agent[\\/]title\.ts:\d+:\d+\)?$/.test(f)), stack).toBe(true);
    expect(stack).not.toMatch(/dist[\\/]bundle[\\/]/);
  });
});
