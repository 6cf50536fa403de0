// Scheduled delivery benchmark (issue 11, DESIGN.md §6): N one-shot jobs (default 100) all due in the same second,
// each a model run (the scripted model, instant) whose reply goes through the outbox to a stand-in platform: the
// bridges' own DeliveryConsumer over the protocol, with an adapter that records when each delivery is sent.
// Latency = sent to the platform − the jobs' due time. Baseline in the same run: N messages put straight into the
// outbox with POST /api/messages at one instant (no scheduler, no model run), latency = sent − posted.
// Run: npm run build && node dist/scripts/bench/schedules.js   (BENCH_JOBS=100)
import { cpus, loadavg } from "node:os";
import { AgentdClient } from "../../protocol/client.js";
import { DeliveryConsumer } from "../../bridges/common/delivery-consumer.js";
import type { DeliveryAddress } from "../../protocol/deliveries.js";
import { percentile, row } from "./lib/measure.js";
import { envNumber, initBenchAgent, startBenchDaemon, startFakeLlmChild } from "./lib/setup.js";

const JOBS = envNumber("BENCH_JOBS", 100);
const PLATFORM = "bench";

/** Waits until `check()` is true (polling), or throws after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const stats = (ms: number[]) => ({ p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) });

/** Measures due → sent for jobs firing in the same second, and the direct outbox baseline; returns the figures in ms. */
export async function runSchedulesBench(): Promise<Record<string, number>> {
  const llm = await startFakeLlmChild(["--no-record"]);
  const agent = initBenchAgent(llm.url, (cfg) => {
    cfg.logging = { level: "warn" };
  });
  const daemon = await startBenchDaemon(agent);
  const client = await AgentdClient.connect({ url: daemon.wsUrl, token: daemon.token, clientName: "bench-platform" });
  const sentAt = new Map<string, number>();
  let n = 0;
  const consumer = new DeliveryConsumer({
    client,
    logger: { debug() {}, info() {}, warn() {}, error() {} } as never,
    adapter: {
      platform: PLATFORM,
      format: (markdown) => [markdown],
      sendDelivery: async (address: DeliveryAddress, chunks, onSent) => {
        sentAt.set(address.chatId, Date.now());
        const id = String(++n);
        onSent(id);
        return chunks.map(() => id);
      },
    },
  });
  consumer.start();
  const api = (path: string, body: unknown) =>
    fetch(`${daemon.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  try {
    // baseline: straight into the outbox, all at one instant
    const postedAt = Date.now();
    const posts = await Promise.all(Array.from({ length: JOBS }, (_, i) => api("/api/messages", { address: { platform: PLATFORM, chatId: `m${i}` }, text: `message ${i}` })));
    for (const r of posts) if (!r.ok) throw new Error(`POST /api/messages: ${r.status} ${await r.text()}`);
    await until(() => [...sentAt.keys()].filter((k) => k.startsWith("m")).length >= JOBS, "the baseline deliveries");
    const direct = Array.from({ length: JOBS }, (_, i) => sentAt.get(`m${i}`)! - postedAt);

    // the jobs: all due at the same instant, a whole second at least 3 s away (creating them takes time)
    const dueMs = Math.ceil((Date.now() + 3000) / 1000) * 1000;
    for (let i = 0; i < JOBS; i++) {
      const r = await api("/api/schedules", { name: `job ${i}`, at: new Date(dueMs).toISOString(), prompt: `Say hello to job ${i}.`, deliverTo: { platform: PLATFORM, chatId: `j${i}` } });
      if (r.status !== 201) throw new Error(`POST /api/schedules: ${r.status} ${await r.text()}`);
    }
    if (Date.now() >= dueMs) throw new Error("creating the jobs took past their due time; lower BENCH_JOBS");
    await until(() => [...sentAt.keys()].filter((k) => k.startsWith("j")).length >= JOBS, "the scheduled deliveries");
    const jobs = Array.from({ length: JOBS }, (_, i) => sentAt.get(`j${i}`)! - dueMs);
    // where the time goes, per job: due → firing recorded (the scheduler), → reply in the outbox (the model run),
    // → sent (outbox and consumer); read back from GET /api/schedules and the firings and deliveries they name
    const get = async (path: string) => (await fetch(`${daemon.url}${path}`, { headers: { authorization: `Bearer ${daemon.token}` } })).json() as Promise<any>;
    const stages = { claim: [] as number[], run: [] as number[], outbox: [] as number[] };
    for (const job of (await get("/api/schedules")).schedules as Array<{ id: string; lastFiring: { startedAt: string; deliveryIds: string[] } | null; deliverTo: Array<{ chatId: string }> }>) {
      const f = job.lastFiring;
      if (!f?.deliveryIds[0]) continue;
      const queuedMs = Date.parse((await get(`/api/deliveries/${f.deliveryIds[0]}`)).delivery.createdAt);
      stages.claim.push(Date.parse(f.startedAt) - dueMs);
      stages.run.push(queuedMs - Date.parse(f.startedAt));
      stages.outbox.push(sentAt.get(job.deliverTo[0]!.chatId)! - queuedMs);
    }

    const s = stats(jobs);
    const b = stats(direct);
    const out = {
      jobs: JOBS, jobP50Ms: s.p50, jobP99Ms: s.p99, jobMaxMs: s.max, directP50Ms: b.p50, directP99Ms: b.p99, directMaxMs: b.max,
      claimP99Ms: percentile(stages.claim, 99), runP99Ms: percentile(stages.run, 99), outboxP99Ms: percentile(stages.outbox, 99),
    };
    console.log(`${JOBS} one-shot jobs due in the same second → sent to a stand-in platform (bridges' DeliveryConsumer)`);
    console.log(row("due → sent, p50", out.jobP50Ms, "ms"));
    console.log(row("due → sent, p99", out.jobP99Ms, "ms", 1000));
    console.log(row("due → sent, max", out.jobMaxMs, "ms"));
    console.log(row("  of which due → firing recorded, p99", out.claimP99Ms, "ms"));
    console.log(row("  of which the model run → reply in the outbox, p99", out.runP99Ms, "ms"));
    console.log(row("  of which outbox → sent, p99", out.outboxP99Ms, "ms"));
    console.log(`baseline: ${JOBS} messages posted to the outbox at once (POST /api/messages), no scheduler, no model run`);
    console.log(row("posted → sent, p50", out.directP50Ms, "ms"));
    console.log(row("posted → sent, p99", out.directP99Ms, "ms"));
    console.log(`ratio p99 scheduled / direct: ${(out.jobP99Ms / Math.max(1, out.directP99Ms)).toFixed(2)}`);
    console.log(`(load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} cores)`);
    return out;
  } finally {
    await consumer.stop(1000);
    client.close();
    await daemon.stop();
    await llm.stop();
    agent.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runSchedulesBench();
