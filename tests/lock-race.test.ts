import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { CLI, NODE, ROOT, cleanup, initAgent, tempDir, waitFor } from "./support/daemon.js";

const PAIRS = 20;
let llm: FakeLlm;
let root: string;

beforeAll(async () => {
  llm = await startFakeLlm();
  root = tempDir("agentd-lock-race-");
});

afterAll(async () => {
  await llm.close();
  cleanup(root);
});

interface Started {
  child: ChildProcess;
  stderr: string;
  exit: Promise<number | null>;
  exited: boolean;
}

function startCli(dir: string): Started {
  const child = spawn(NODE, [CLI, "start", dir], { cwd: ROOT, env: { ...process.env, AGENTD_TOKEN: "" }, stdio: ["ignore", "ignore", "pipe"] });
  const s: Started = { child, stderr: "", exited: false, exit: Promise.resolve(null) };
  child.stderr!.on("data", (d) => (s.stderr += d));
  s.exit = new Promise((r) => child.on("exit", (code) => {
    s.exited = true;
    r(code);
  }));
  return s;
}

describe("agentd start: the folder lock under a race", () => {
  it(`of ${PAIRS} pairs started at the same instant on ${PAIRS} folders (half with a stale lock of a killed daemon), exactly one of each pair runs`, async () => {
    const { dir: template } = await initAgent({ llmUrl: llm.url, dir: join(root, "template"), edit: (c) => (c.agent = { ...c.agent, titleSessions: false }) });
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid!;
    const dirs = Array.from({ length: PAIRS }, (_, i) => {
      const dir = join(root, `agent-${i}`);
      cpSync(template, dir, { recursive: true });
      const file = join(dir, "agentd.yaml");
      const doc = parseDocument(readFileSync(file, "utf8"));
      doc.setIn(["server", "port"], 20_000 + Math.floor(Math.random() * 400) * 100); // 100 apart: agentd tries the next 99 when busy
      writeFileSync(file, doc.toString());
      if (i % 2 === 0) writeFileSync(join(dir, ".agentd.lock"), `${deadPid}\n`); // left behind by kill -9
      return dir;
    });

    const pairs = dirs.map((dir) => [startCli(dir), startCli(dir)] as const);
    try {
      // a loser exits with the clear conflict error; the winner keeps running and answers health
      await Promise.all(pairs.map(([a, b]) => Promise.race([a.exit, b.exit])));
      for (const [i, [a, b]] of pairs.entries()) {
        const loser = a.exited ? a : b;
        const winner = loser === a ? b : a;
        expect(winner.exited, `pair ${i}: both exited\n${a.stderr}\n${b.stderr}`).toBe(false);
        expect(await loser.exit, `pair ${i}`).not.toBe(0);
        expect(loser.stderr).toMatch(new RegExp(`another agentd \\(pid ${winner.child.pid}\\) is already running`));
        const port = await waitFor(() => {
          if (winner.exited) throw new Error(`pair ${i}: the winner exited:\n${winner.stderr}`);
          return existsSync(join(dirs[i]!, ".port")) && Number.parseInt(readFileSync(join(dirs[i]!, ".port"), "utf8"), 10);
        }, `pair ${i} to listen`, 60_000);
        expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
        expect(readFileSync(join(dirs[i]!, ".agentd.lock"), "utf8")).toBe(`${winner.child.pid}\n`);
      }
    } finally {
      for (const [a, b] of pairs) for (const s of [a, b]) if (!s.exited) s.child.kill("SIGTERM");
      const codes = await Promise.all(pairs.flatMap(([a, b]) => [a.exit, b.exit]));
      expect(codes.filter((c) => c === 0)).toHaveLength(PAIRS); // every winner stopped cleanly
    }
    for (const dir of dirs) expect(existsSync(join(dir, ".agentd.lock"))).toBe(false);
  }, 180_000);
});
