import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../store/store.js";
import { DeliveriesConfig } from "../config/sections/deliveries.js";
import { Outbox } from "../deliveries/outbox.js";
import { ApprovalConfig } from "../config/sections/approvals.js";
import { ApprovalService, type GateCall } from "./service.js";
import { ConflictError } from "../errors.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(rules: Record<string, unknown> = {}, timeoutMs = 60_000, file?: string) {
  const dir = file ? undefined : mkdtempSync(join(tmpdir(), "agentd-approvals-"));
  const dbFile = file ?? join(dir!, "agentd.db");
  const store = new Store(dbFile);
  const outbox = new Outbox({ store, config: () => DeliveriesConfig.parse({}), logger: pino({ level: "silent" }) });
  const cfg = ApprovalConfig.parse({ rules, timeoutMs });
  const service = new ApprovalService({ store, outbox, config: () => cfg, logger: pino({ level: "silent" }) });
  cleanups.push(() => {
    service.stop();
    store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return { store, outbox, service, dbFile, dir };
}

const call = (over: Partial<GateCall> = {}): GateCall => ({
  tool: "exec", args: { command: "make deploy" }, argsText: '{"command":"make deploy"}', toolCallId: "call_1", runId: "r1", sessionId: "s1",
  answerer: "telegram:42", deliverTo: [{ platform: "telegram", chatId: "42", replyTo: "7" }], signal: new AbortController().signal, ...over,
});
const pendingOne = async (service: ApprovalService) => {
  for (let i = 0; i < 100; i++) {
    const [a] = service.list({ state: "pending", limit: 1 });
    if (a) return a;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("no pending request");
};

describe("ApprovalService", () => {
  it("runs allowed calls at once and refuses denied ones without asking (audited as refused)", async () => {
    const { service } = setup({ exec: { allow: ["ls *"], deny: ["rm *"] } });
    expect(await service.check(call({ args: { command: "ls src" } }))).toEqual({ ok: true });
    const refused = await service.check(call({ args: { command: "rm -rf src" } }));
    expect(refused).toMatchObject({ ok: false, message: expect.stringContaining("refuses") });
    expect(service.list({ limit: 10 })).toEqual([]);
    expect(service.auditList(10).map((e) => e.outcome)).toEqual(["refused"]);
  });

  it("sends the prompt with three buttons to the run's chat and waits; approve runs it; the chat is told", async () => {
    const { service, outbox } = setup();
    const verdict = service.check(call());
    const a = await pendingOne(service);
    const prompt = outbox.list({ limit: 10 }).find((d) => d.buttons);
    expect(prompt?.buttons?.map((b) => b.text)).toEqual(["Approve once", "Always", "Deny"]);
    expect(prompt?.text).toContain("make deploy");
    expect(prompt?.text).toContain(`/approve ${a.code}`);
    service.decide(a.code, "approve", { platform: "telegram", userId: "42" });
    expect(await verdict).toEqual({ ok: true });
    expect(outbox.list({ limit: 10 }).some((d) => d.text.includes(`Approval ${a.code} approved (telegram:42)`))).toBe(true);
  });

  it("the first answer wins; a second one is a conflict naming the first", async () => {
    const { service } = setup();
    const verdict = service.check(call());
    const a = await pendingOne(service);
    service.decide(a.id, "deny", "owner");
    expect(() => service.decide(a.id, "approve", { platform: "telegram", userId: "42" })).toThrow(ConflictError);
    expect(() => service.decide(a.id, "approve", "owner")).toThrow(/already answered: denied by owner/);
    expect(await verdict).toMatchObject({ ok: false, message: expect.stringContaining("denied") });
  });

  it("only the run's sender or the owner may answer", async () => {
    const { service } = setup();
    void service.check(call());
    const a = await pendingOne(service);
    expect(() => service.decide(a.id, "approve", { platform: "telegram", userId: "666" })).toThrow(/only the person who started this run/);
    expect(service.get(a.id).state).toBe("pending");
  });

  it("always: the same command runs without asking from then on (audited as granted); another command still asks", async () => {
    const { service } = setup();
    const first = service.check(call());
    service.decide((await pendingOne(service)).id, "always", "owner");
    expect(await first).toEqual({ ok: true });
    expect(await service.check(call({ runId: "r2" }))).toEqual({ ok: true });
    expect(service.auditList(10)[0]).toMatchObject({ outcome: "granted", runId: "r2" });
    void service.check(call({ runId: "r3", args: { command: "make destroy" }, argsText: '{"command":"make destroy"}' }));
    expect((await pendingOne(service)).subject).toBe("make destroy");
  });

  it("expiry denies: the model is told it expired", async () => {
    const { service } = setup({}, 1_000);
    const verdict = await service.check(call());
    expect(verdict).toMatchObject({ ok: false, message: expect.stringContaining("expired") });
    expect(service.auditList(1)[0]).toMatchObject({ outcome: "expired", decidedBy: "expiry" });
  });

  it("survives a restart: a pending request stays pending, a re-asked call waits on it, one past its expiry expires", async () => {
    const a = setup();
    const ac = new AbortController();
    void a.service.check(call({ signal: ac.signal }));
    void a.service.check(call({ runId: "r-old", signal: ac.signal }));
    await pendingOne(a.service);
    ac.abort();
    // the second one is already past its expiry when the daemon comes back
    a.store.sqlite.prepare(`UPDATE approvals SET expires_at = 0 WHERE run_id = 'r-old'`).run();
    a.service.stop();
    const b = setup({}, 60_000, a.dbFile);
    expect(b.service.recover()).toBe(1);
    expect(b.service.list({ limit: 10 }).map((x) => [x.runId, x.state]).sort()).toEqual([["r-old", "expired"], ["r1", "pending"]]);
    const again = b.service.check(call());
    const [pending] = b.service.list({ state: "pending", limit: 1 });
    b.service.decide(pending!.code, "approve", "owner");
    expect(await again).toEqual({ ok: true });
    expect(b.service.list({ limit: 10 })).toHaveLength(2);
  });

  it("cancels the pending requests of a run that ended without them", async () => {
    const { service } = setup();
    const verdict = service.check(call());
    await pendingOne(service);
    service.cancelRun("r1");
    expect(await verdict).toMatchObject({ ok: false, message: expect.stringContaining("cancelled") });
  });
});
