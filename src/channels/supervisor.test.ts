import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, it, expect } from "vitest";
import pino from "pino";
import { BridgeSupervisor, parsePinoLine } from "./supervisor.js";

const FIXTURE = join(import.meta.dirname, "test-fixtures", "fake-bridge.mjs");
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(check: () => T, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function setup(mode: string, opts: { initialDelayMs?: number; maxDelayMs?: number; killGraceMs?: number; stableMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "agentd-supervisor-"));
  const starts = join(dir, "starts");
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "trace" }, new Writable({ write: (chunk, _e, cb) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), cb()) }));
  const sup = new BridgeSupervisor({
    logger, cwd: dir, command: (platform) => ({ file: process.execPath, args: [FIXTURE, mode, starts, platform] }),
    initialDelayMs: opts.initialDelayMs ?? 50, maxDelayMs: opts.maxDelayMs ?? 200, killGraceMs: opts.killGraceMs ?? 300,
    ...(opts.stableMs ? { stableMs: opts.stableMs } : {}),
  });
  cleanups.push(async () => {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const pids = () => (existsSync(starts) ? readFileSync(starts, "utf8").trim().split("\n").filter(Boolean).map((l) => Number(l.split(" ")[0])) : []);
  return { sup, lines, pids };
}

describe("BridgeSupervisor", () => {
  it("logs the bridge's lines tagged with component and platform, keeping pino levels", async () => {
    const { sup, lines } = setup("stay");
    sup.start("telegram");
    await until(() => lines.some((l) => l.msg === "plain stderr line") && lines.some((l) => l.msg === "fake bridge up"), "bridge output");
    const up = lines.find((l) => l.msg === "fake bridge up")!;
    expect(up).toMatchObject({ level: 30, component: "bridge", platform: "telegram", mode: "stay" });
    expect(lines.find((l) => l.msg === "plain stderr line")).toMatchObject({ level: 40, component: "bridge", platform: "telegram" });
    expect(sup.status()).toEqual([{ platform: "telegram", state: "running", pid: expect.any(Number), restarts: 0 }]);
  });

  it("restarts a crashing bridge with growing delays", async () => {
    const { sup, lines, pids } = setup("crash", { initialDelayMs: 40, maxDelayMs: 160 });
    sup.start("discord");
    await until(() => pids().length >= 4, "three restarts");
    const delays = lines.filter((l) => typeof l.delayMs === "number").map((l) => l.delayMs);
    expect(delays.slice(0, 3)).toEqual([40, 80, 160]);
    expect(lines.find((l) => typeof l.delayMs === "number")).toMatchObject({ level: 40, code: 1, platform: "discord" });
    expect(sup.status()[0]!.restarts).toBeGreaterThanOrEqual(3);
    await sup.stop();
    const count = pids().length;
    await sleep(250);
    expect(pids().length).toBe(count); // no restart after stop
  });

  it("starts the delays over after a bridge ran for stableMs", async () => {
    const { sup, lines, pids } = setup("crash", { initialDelayMs: 40, maxDelayMs: 160, stableMs: 10 });
    sup.start("discord");
    await until(() => pids().length >= 3, "two restarts");
    const delays = lines.filter((l) => typeof l.delayMs === "number").map((l) => l.delayMs);
    expect(delays.slice(0, 2)).toEqual([40, 40]);
  });

  it("does not restart a bridge that exits with the config error code", async () => {
    const { sup, lines, pids } = setup("config");
    sup.start("whatsapp");
    await until(() => sup.status()[0]?.state === "failed", "failed state");
    await sleep(150);
    expect(pids()).toHaveLength(1);
    expect(lines.find((l) => l.level === 50)?.msg).toMatch(/not restarting/);
  });

  it("stops bridges with SIGTERM, and SIGKILL after the grace period", async () => {
    const { sup, pids } = setup("stubborn", { killGraceMs: 300 });
    sup.start("telegram");
    const [pid] = await until(() => (pids().length ? pids() : undefined), "bridge start");
    await sleep(100); // let it install its SIGTERM handler
    const t0 = Date.now();
    await sup.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(alive(pid!)).toBe(false);
    expect(sup.status()).toEqual([]);
  });

  it("stops a well-behaved bridge at once", async () => {
    const { sup, pids } = setup("stay", { killGraceMs: 3000 });
    sup.start("telegram");
    sup.start("telegram"); // already supervised: no second process
    const [pid] = await until(() => (pids().length ? pids() : undefined), "bridge start");
    const t0 = Date.now();
    await sup.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(alive(pid!)).toBe(false);
    expect(pids()).toHaveLength(1);
  });
});

describe("parsePinoLine", () => {
  it("reads level, message and fields; rejects other lines", () => {
    expect(parsePinoLine('{"level":50,"time":1,"pid":2,"hostname":"h","msg":"boom","chatId":"4"}')).toEqual({ level: "error", msg: "boom", fields: { chatId: "4" } });
    expect(parsePinoLine('{"level":"warn","msg":"x"}')).toEqual({ level: "warn", msg: "x", fields: {} });
    expect(parsePinoLine("{not json")).toBeUndefined();
    expect(parsePinoLine('{"msg":"no level"}')).toBeUndefined();
    expect(parsePinoLine("[1,2]")).toBeUndefined();
  });
});
