/**
 * Issue 17, "the first five minutes" (items 11 and 13): what a new user meets in the terminal, through the real CLI.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { CLI, NODE, ROOT, cleanup, initAgent, runCli, startDaemon, tempDir, waitFor, type RunningDaemon } from "./support/daemon.js";

let llm: FakeLlm;
const daemons: RunningDaemon[] = [];
/** Session titles would take scripted replies meant for chat turns. */
const noTitles = (c: Record<string, any>) => (c.agent = { ...c.agent, titleSessions: false });

beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  await llm.close();
});

/** The JSON lines of the agent's log file. */
function logLines(dir: string): Array<{ level: number; msg: string } & Record<string, unknown>> {
  return readFileSync(join(dir, "logs", "agentd.log"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

describe("item 11: no model key", () => {
  it("warns at start and the chat error names the variable and the file; no 'trying the next' without fallbacks", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles }); // apiKey: ${OPENAI_API_KEY:-}, .env has none
    const d = await startDaemon(dir, { env: { OPENAI_API_KEY: "" } });
    daemons.push(d);
    const envFile = join(dir, ".env");
    const warning = await waitFor(() => logLines(dir).find((l) => l.level === 40 && String(l.msg).includes("OPENAI_API_KEY")), "the start-up warning");
    expect(warning.msg).toBe(`model main has no API key: OPENAI_API_KEY is not set; put OPENAI_API_KEY=<your key> in ${envFile} and restart the agent (or remove providers.openai.apiKey from agentd.yaml if the server needs no key)`);
    // the stderr line, besides the log: a plain sentence
    expect(d.output()).toMatch(new RegExp(`^agentd: warning: .*OPENAI_API_KEY.*${envFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m"));

    llm.onRequest(() => ({ status: 401, errorMessage: "Incorrect API key provided: not-needed." }));
    try {
      const res = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "hello" }) });
      const body = (await res.json()) as { status?: string; error?: { message: string } };
      const message = body.error?.message ?? "";
      expect(message).toBe(`model main was refused by provider openai (401: Incorrect API key provided: not-needed.): no API key is set: put OPENAI_API_KEY=<your key> in ${envFile} and restart the agent`);
    } finally {
      llm.onRequest(undefined);
    }
    await waitFor(() => logLines(dir).some((l) => String(l.msg).includes("401")), "the run's failure in the log");
    // a failure that would move on to a fallback model (5xx), with none configured: no "trying the next"
    llm.onRequest(() => ({ status: 500 }));
    try {
      const res = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "hello again" }) });
      const message = ((await res.json()) as { error?: { message: string } }).error?.message ?? "";
      expect(message).toContain("500");
      expect(message).toContain(`no API key is set: put OPENAI_API_KEY=<your key> in ${envFile} and restart the agent`);
    } finally {
      llm.onRequest(undefined);
    }
    await waitFor(() => logLines(dir).some((l) => l.level === 40 && String(l.msg).startsWith("run failed: model main answered 500")), "the second failure in the log");
    expect(logLines(dir).map((l) => l.msg).join("\n")).not.toContain("trying the next");
  });

  it("says nothing at start when the key is set", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    writeFileSync(join(dir, ".env"), `${readFileSync(join(dir, ".env"), "utf8")}OPENAI_API_KEY=sk-test\n`);
    const d = await startDaemon(dir, { env: { OPENAI_API_KEY: "" } });
    daemons.push(d);
    const res = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "hello" }) });
    expect(((await res.json()) as { text: string }).text).toBe("You said: hello");
    expect(d.output()).not.toContain("OPENAI_API_KEY");
    expect(llm.requests.at(-1)?.headers.authorization).toBe("Bearer sk-test");
  });
});

describe("item 13: agentd chat commands", () => {
  it("answers /help, /sessions and /switch N like the bridges, without asking the model", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    const d = await startDaemon(dir);
    daemons.push(d);
    const child = spawn(NODE, [CLI, "chat", dir], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    const say = async (text: string, until: string) => {
      child.stdin.write(`${text}\n`);
      await waitFor(() => out.includes(until), `the answer to ${text}`);
    };
    await waitFor(() => out.includes("you> "), "the prompt");
    const before = llm.requests.length;
    await say("/help", "/switch N: go back to session N of /sessions");
    await say("first topic", "You said: first topic");
    await say("/new", "Started a new session (#2)");
    await say("second topic", "You said: second topic");
    await say("/sessions", "/switch N goes back to one");
    expect(out).toMatch(/1\. first topic/);
    expect(out).toMatch(/2\. second topic .*\(current\)/);
    await say("/switch 1", "Switched to session 1");
    await say("back again", "You said: back again");
    // the model saw the first session's history, and never a command
    const last = llm.requests.at(-1)!.body.messages as Array<{ role: string; content: string }>;
    expect(last.filter((m) => m.role === "user").map((m) => m.content)).toEqual(["first topic", "back again"]);
    const sent = llm.requests.slice(before).flatMap((r) => (r.body.messages as Array<{ content: unknown }>).map((m) => String(m.content)));
    expect(sent.some((c) => /^\/(help|new|sessions|switch)/.test(c))).toBe(false);
    child.stdin.write("/quit\n");
    expect(await exited).toBe(0);
  });
});

describe("item 13: agentd chat from a pipe", () => {
  it("answers every piped line, commands included, before it exits at the end of input", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: noTitles });
    const d = await startDaemon(dir);
    daemons.push(d);
    const child = spawn(NODE, [CLI, "chat", dir], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    child.stdin.end("/help\npiped hello\n");
    expect(await exited).toBe(0);
    expect(out).toContain("/sessions: list this chat's sessions");
    expect(out).toContain("agent> You said: piped hello");
  });
});

describe("item 13: agentd ls, status, start", () => {
  it("ls finds agents in nested subfolders (bounded, skipping node_modules and .git), not the template", async () => {
    const root = tempDir();
    try {
      const make = async (rel: string) => {
        const r = await runCli(["init", join(root, rel)]);
        expect(r.code, r.stderr).toBe(0);
      };
      await make("a");
      await make("team/b");
      await make("x/y/c");
      await make("node_modules/pkg/d");
      await make(".git/e");
      await make("1/2/3/4/5/6/7/deep");
      const r = await runCli(["ls", root, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const found = (JSON.parse(r.stdout) as Array<{ dir: string }>).map((p) => p.dir.slice(root.length + 1)).sort();
      expect(found).toEqual(["a", "team/b", "x/y/c"]);
      // the repository: its agent-template is not an agent
      const repo = await runCli(["ls", ROOT, "--json"]);
      expect((JSON.parse(repo.stdout) as Array<{ dir: string }>).map((p) => p.dir)).not.toContain(join(ROOT, "agent-template"));
    } finally {
      cleanup(root);
    }
  });

  it("status into a closed pipe (`agentd status | head -1`) exits quietly, without an EPIPE stack", async () => {
    const root = tempDir();
    try {
      await runCli(["init", join(root, "a")]);
      const child = spawn(NODE, [CLI, "status", join(root, "a")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.destroy(); // the reader is gone before the first line (as `head -1` is after its first)
      let err = "";
      child.stderr.on("data", (b) => (err += b));
      const code = await new Promise<number | null>((r) => child.on("close", r));
      expect(err).toBe("");
      expect(code).toBe(3); // status's own code for a stopped agent
    } finally {
      cleanup(root);
    }
  });

  it("logs 'vault: index reconciled' once at start (the watcher's check that finds nothing is at debug)", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: (c) => (c.logging = { level: "debug" }) });
    mkdirSync(join(dir, "vault", "notes"), { recursive: true });
    writeFileSync(join(dir, "vault", "notes", "a.md"), "# A\n[[b]]\n");
    const d = await startDaemon(dir);
    daemons.push(d);
    // both passes, the start-up one and the watcher's follow-up, have run once two lines are there
    const passes = await waitFor(() => {
      const l = logLines(dir).filter((x) => x.msg === "vault: index reconciled");
      return l.length >= 2 ? l : undefined;
    }, "both reconcile passes");
    expect(passes.map((p) => p.level)).toEqual([30, 20]);
  });
});

describe("item 13: the refusal to an unknown Telegram sender", () => {
  it("reads without nested brackets", async () => {
    const { defaultRefusal } = await import("../src/channels/access.js");
    const text = defaultRefusal({ platform: "telegram", chatId: "666001", userId: "666001", userName: "mallory", isGroup: false, mentioned: false });
    expect(text).toBe("Sorry, I only talk with people my owner has allowed. If you know them, ask them to add you (@mallory, id 666001) to my telegram allowlist.");
    expect(text).not.toMatch(/\([^)]*\(/);
  });
});
