/**
 * Vault benchmark (issue 4): generates a 10,000-note vault (nested folders, wikilinks, aliases, tags, repeated
 * basenames) in a temp dir and prints, next to each budget: cold full index time, event-loop lag while indexing,
 * warm start, search p50/p95, graph time, and the re-index latency of one note edited outside the daemon.
 * Run: `node dist/scripts/bench/vault.js` (after `npm run build`). Figures are printed, not asserted.
 *
 * Before/after on a shared machine (issue 20): `BENCH_VAULT_BASELINE=/path/to/other/tree` (built, with its
 * `dist/src/vault/index.js`) first runs `BENCH_VAULT_ROUNDS` (default 3) interleaved rounds of cold index + the
 * same search queries with that tree's vault and this one, rotating which goes first, and prints wall time,
 * process CPU time (all threads: the reconcile worker's too) and search p50/p95 of each, with the load average.
 * `BENCH_VAULT_COMPARE_ONLY=1` stops after that comparison.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { pino, type Logger } from "pino";
import { Vault } from "../../src/vault/index.js";
import { interleavedRounds, median } from "./lib/measure.js";
import { benchHeader } from "./lib/setup.js";

const NOTE_COUNT = 10_000;
const QUERY_COUNT = 300;
const EDIT_COUNT = 20;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = rng(42);
const int = (n: number): number => Math.floor(rand() * n);
const SYLLABLES = ["ka", "lo", "mi", "ra", "te", "su", "no", "vi", "an", "or", "el", "qu", "zen", "bri", "sto", "fal", "mur", "den"];
const VOCAB = Array.from({ length: 3000 }, () => Array.from({ length: 2 + int(3) }, () => SYLLABLES[int(SYLLABLES.length)]).join(""));
const word = (): string => VOCAB[Math.floor(VOCAB.length * rand() ** 2)]!; // skewed: some words are common
const sentence = (n: number): string => Array.from({ length: n }, word).join(" ");

/** Note i lives in `area{a}/topic{t}/` and is named `Note {i % 9000}`: 1,000 basenames repeat in two folders. */
function notePath(i: number): string {
  return `area${Math.floor(i / 1000)}/topic${i % 10}/Note ${i % 9000}.md`;
}

function noteText(i: number): string {
  const parts: string[] = [];
  if (i % 3 === 0) parts.push(`---\ntags: [gen/t${i % 7}, bench]\naliases: [Alias ${i}]\ncreated: 2024-01-${String(1 + (i % 28)).padStart(2, "0")}\n---`);
  parts.push(`# Note ${i % 9000} ${word()}`);
  for (let p = 0; p < 3; p++) {
    const links = Array.from({ length: 2 }, () => {
      const r = int(100);
      const target = int(NOTE_COUNT + 500); // some beyond the vault: unresolved
      if (r < 10) return `[[Alias ${target - (target % 3)}]]`;
      if (r < 20) return `[[Note ${target % 9000}#Heading]]`;
      if (r < 25) return `![[Note ${target % 9000}]]`;
      return `[[Note ${target % 9000}|${word()}]]`;
    });
    parts.push(`${sentence(25 + int(30))} ${links.join(" ")} #tag${int(50)}/sub${int(5)} ${sentence(10 + int(20))}.`);
  }
  if (i % 10 === 0) parts.push("```\n[[Not A Link]] #notatag\n```");
  return `${parts.join("\n\n")}\n`;
}

/** Writes the generated vault of {@link NOTE_COUNT} notes into `dir`; returns the total bytes written. */
export function generateBenchVault(dir: string): number {
  let bytes = 0;
  for (let i = 0; i < NOTE_COUNT; i++) {
    const p = join(dir, ...notePath(i).split("/"));
    mkdirSync(join(p, ".."), { recursive: true });
    const text = noteText(i);
    bytes += Buffer.byteLength(text);
    writeFileSync(p, text);
  }
  return bytes;
}

/** The bench's {@link QUERY_COUNT} searches: single words, two words, prefixes; a fifth with a tag filter. */
function benchQueries(): { q: string; tag?: string }[] {
  return Array.from({ length: QUERY_COUNT }, (_, q) => {
    const kind = q % 4;
    const query = kind === 0 ? word() : kind === 1 ? `${word()} ${word()}` : kind === 2 ? word().slice(0, 3) : `${word()} ${word().slice(0, 4)}`;
    return q % 5 === 0 ? { q: query, tag: `tag${q % 50}` } : { q: query };
  });
}

type VaultClass = typeof Vault;

/**
 * Cold index of `dir` into a new index file with `V` (this tree's vault or a baseline's), then the searches:
 * wall and process CPU time (ms, all threads) of the cold index, search p50/p95 (ms), and the p95 of
 * {@link EDIT_COUNT} writes → visible to search (ms; the notes written are restored afterwards).
 */
async function coldAndSearch(V: VaultClass, dir: string, indexDbPath: string, queries: { q: string; tag?: string }[], logger: Logger) {
  rmSync(indexDbPath, { force: true });
  const vault = new V({ dir, indexDbPath, logger, watch: false });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await vault.start();
  await vault.ready();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const times = queries.map((query) => {
    const s = performance.now();
    vault.search(query);
    return performance.now() - s;
  });
  const visible: number[] = [];
  const targets = Array.from({ length: EDIT_COUNT }, (_, w) => notePath((w * 7919) % NOTE_COUNT));
  const original = targets.map((rel) => readFileSync(join(dir, ...rel.split("/"))));
  for (let w = 0; w < EDIT_COUNT; w++) {
    const rel = targets[w]!;
    const token = `compared${w}qx`;
    const s = performance.now();
    vault.write(rel, { content: `${noteText(w)}\n${token} [[Note ${w}]]\n` });
    while (vault.search({ q: token }).hits[0]?.path !== rel) await new Promise((r) => setImmediate(r));
    visible.push(performance.now() - s);
  }
  visible.sort((x, y) => x - y);
  await vault.stop();
  targets.forEach((rel, w) => writeFileSync(join(dir, ...rel.split("/")), original[w]!)); // the next run indexes the same notes
  for (const f of [indexDbPath, `${indexDbPath}-wal`, `${indexDbPath}-shm`]) rmSync(f, { force: true });
  times.sort((a, b) => a - b);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, p50: pct(times, 50), p95: pct(times, 95), visibleP95: pct(visible, 95) };
}

/** See the file's TSDoc: interleaved rounds of {@link coldAndSearch} with a baseline tree's vault and this one. */
async function compareWithBaseline(tree: string, dir: string, base: string, queries: { q: string; tag?: string }[], logger: Logger): Promise<void> {
  const mod = (await import(pathToFileURL(join(tree, "dist", "src", "vault", "index.js")).href)) as { Vault: VaultClass };
  const rounds = Number(process.env.BENCH_VAULT_ROUNDS) > 0 ? Number(process.env.BENCH_VAULT_ROUNDS) : 3;
  const figures: Record<string, { wallMs: number; cpuMs: number; p50: number; p95: number; visibleP95: number; load: number }[]> = { baseline: [], "this tree": [] };
  const run = (name: string, V: VaultClass) => async (): Promise<number> => {
    const r = await coldAndSearch(V, dir, join(base, `cmp-${name.replace(/ /g, "-")}.db`), queries, logger);
    figures[name]!.push({ ...r, load: loadavg()[0]! });
    return r.cpuMs;
  };
  await interleavedRounds({ baseline: run("baseline", mod.Vault), "this tree": run("this tree", Vault) }, { warmup: 0, rounds, baseline: "baseline" });
  console.log(`\nbefore/after, ${rounds} interleaved rounds (baseline: ${tree}); medians, load average 1 min per run:`);
  for (const [name, rs] of Object.entries(figures)) {
    const m = (k: "wallMs" | "cpuMs" | "p50" | "p95" | "visibleP95") => median(rs.map((r) => r[k]));
    console.log(
      `  ${name.padEnd(10)} cold index ${m("wallMs").toFixed(0)} ms wall (runs: ${rs.map((r) => r.wallMs.toFixed(0)).join(", ")}), ${m("cpuMs").toFixed(0)} ms CPU (runs: ${rs.map((r) => r.cpuMs.toFixed(0)).join(", ")});` +
        ` search p50 ${m("p50").toFixed(2)} ms, p95 ${m("p95").toFixed(2)} ms (runs: ${rs.map((r) => r.p95.toFixed(1)).join(", ")}); write → visible p95 ${m("visibleP95").toFixed(1)} ms; load ${rs.map((r) => r.load.toFixed(1)).join(", ")}`,
    );
  }
  const [b, a] = [figures.baseline!, figures["this tree"]!];
  const ratio = (k: "wallMs" | "cpuMs" | "p95" | "visibleP95") => median(a.map((r) => r[k])) / median(b.map((r) => r[k]));
  console.log(`  this tree / baseline: cold wall ${ratio("wallMs").toFixed(2)}×, cold CPU ${ratio("cpuMs").toFixed(2)}×, search p95 ${ratio("p95").toFixed(2)}×, write → visible p95 ${ratio("visibleP95").toFixed(2)}×\n`);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function line(label: string, value: number, budget?: number, unit = "ms"): void {
  const v = `${value.toFixed(value < 10 ? 2 : 0)} ${unit}`.padStart(12);
  const b = budget === undefined ? "" : `   budget < ${budget} ${unit}   ${value < budget ? "ok" : "OVER"}`;
  console.log(`  ${label.padEnd(44)}${v}${b}`);
}

/**
 * Runs the vault benchmark and returns its figures (ms unless named otherwise), printing each next to its budget:
 * `coldIndexMs` (< 3000), `searchP50Ms`, `searchP95Ms` (< 10), `graphMs` (< 200), `reindexWorkP95Ms` (< 50),
 * plus event-loop lag while indexing, warm start, and edit-to-searchable latency through the watcher.
 */
export async function runVaultBench(): Promise<Record<string, number>> {
  const base = mkdtempSync(join(tmpdir(), "agentd-vault-bench-"));
  const dir = join(base, "vault");
  const logger = pino({ level: "silent" });
  const out: Record<string, number> = {};
  try {
    const bytes = generateBenchVault(dir);
    console.log(`vault bench: ${NOTE_COUNT} notes, ${(bytes / 1e6).toFixed(1)} MB, 100 folders`);
    const queries = benchQueries();
    const baseline = process.env.BENCH_VAULT_BASELINE;
    if (baseline) await compareWithBaseline(resolve(baseline), dir, base, queries, logger);
    if (baseline && process.env.BENCH_VAULT_COMPARE_ONLY) return out;

    // 0. The floor of a cold index, in the same run: reading every note once (readdir + readFileSync).
    let t0 = performance.now();
    let readBytes = 0;
    for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) if (f.isFile()) readBytes += readFileSync(join(f.parentPath, f.name)).length;
    out.readAllMs = performance.now() - t0;
    if (readBytes !== bytes) throw new Error(`read ${readBytes} bytes of ${bytes}`);

    // 1. Cold full index (empty index file), with event-loop lag measured meanwhile.
    const indexDbPath = join(base, "vault-index.db");
    const cold = new Vault({ dir, indexDbPath, logger, watch: false });
    const lag = monitorEventLoopDelay({ resolution: 1 });
    lag.enable();
    t0 = performance.now();
    await cold.start();
    out.startReturnsMs = performance.now() - t0;
    await cold.ready();
    out.coldIndexMs = performance.now() - t0;
    lag.disable();
    out.indexLagP99Ms = lag.percentile(99) / 1e6;
    out.indexLagMaxMs = lag.max / 1e6;
    out.notes = cold.list().notes.length;

    // 2. Search: single words, two words, prefixes, with and without a tag filter.
    const times: number[] = [];
    let totalHits = 0;
    for (const query of queries) {
      const s = performance.now();
      const res = cold.search(query);
      times.push(performance.now() - s);
      totalHits += res.hits.length;
    }
    times.sort((a, b) => a - b);
    out.searchP50Ms = pct(times, 50);
    out.searchP95Ms = pct(times, 95);
    out.searchMaxMs = times[times.length - 1]!;
    out.searchAvgHits = totalHits / QUERY_COUNT;

    // 2b. A write through the vault (what the agent's vault tools and REST do) → visible to search: from the call
    // until a search for a word only that write has finds the note (issue 20: < 20 ms).
    const visible: number[] = [];
    for (let w = 0; w < EDIT_COUNT; w++) {
      const rel = notePath(int(NOTE_COUNT));
      const token = `written${w}qx`;
      const s = performance.now();
      cold.write(rel, { content: `${noteText(w)}\n${token} [[Note ${w}]]\n` });
      while (cold.search({ q: token }).hits[0]?.path !== rel) await new Promise((r) => setImmediate(r));
      visible.push(performance.now() - s);
    }
    visible.sort((a, b) => a - b);
    out.writeVisibleP50Ms = pct(visible, 50);
    out.writeVisibleP95Ms = pct(visible, 95);

    // 3. Graph.
    const graphTimes: number[] = [];
    for (let g = 0; g < 5; g++) {
      t0 = performance.now();
      const graph = cold.graph();
      graphTimes.push(performance.now() - t0);
      out.graphNodes = graph.nodes.length;
      out.graphEdges = graph.edges.length;
    }
    graphTimes.sort((a, b) => a - b);
    out.graphMs = pct(graphTimes, 50);
    await cold.stop();

    // 4. Warm start on the same index (nothing changed: nothing is re-read), watching.
    const warm = new Vault({ dir, indexDbPath, logger, watch: true });
    t0 = performance.now();
    await warm.start();
    await warm.ready();
    out.warmStartMs = performance.now() - t0;
    out.warmFilesRead = warm.stats.filesRead;

    // 5. Edit one note outside the daemon; time to indexed (watcher delivery included) and the indexing work itself.
    const e2e: number[] = [];
    const work: number[] = [];
    for (let e = 0; e < EDIT_COUNT; e++) {
      const rel = notePath(int(NOTE_COUNT));
      const token = `edited${e}zz`;
      const done = new Promise<number>((resolve) => {
        const off = warm.onChange((c) => {
          if (c.path === rel && c.kind === "upsert") {
            off();
            resolve(c.durationMs);
          }
        });
      });
      t0 = performance.now();
      writeFileSync(join(dir, ...rel.split("/")), `${noteText(e)}\n${token} [[Note ${e}]]\n`);
      work.push(await done);
      e2e.push(performance.now() - t0);
      if (warm.search({ q: token }).hits[0]?.path !== rel) throw new Error("edited note not searchable");
      await new Promise((r) => setTimeout(r, 20));
    }
    work.sort((a, b) => a - b);
    e2e.sort((a, b) => a - b);
    out.reindexWorkP50Ms = pct(work, 50);
    out.reindexWorkP95Ms = pct(work, 95);
    out.editToIndexedP50Ms = pct(e2e, 50);
    out.editToIndexedP95Ms = pct(e2e, 95);
    out.rssMb = process.memoryUsage().rss / 1e6;
    await warm.stop();
  } finally {
    rmSync(base, { recursive: true, force: true });
  }

  line("start() returns", out.startReturnsMs!);
  line(`cold full index (${out.notes} notes)`, out.coldIndexMs!, 3000);
  console.log(`    = ${(out.coldIndexMs! / out.readAllMs!).toFixed(1)}× reading every note once (${out.readAllMs!.toFixed(0)} ms, the floor measured in this run)`);
  line("event-loop lag p99 while indexing", out.indexLagP99Ms!, 20);
  line("event-loop lag max while indexing", out.indexLagMaxMs!);
  line(`search p50 (${QUERY_COUNT} queries, ${out.searchAvgHits!.toFixed(1)} hits avg)`, out.searchP50Ms!);
  line("search p95", out.searchP95Ms!, 10);
  line("search max", out.searchMaxMs!);
  line("write -> visible to search, p50", out.writeVisibleP50Ms!);
  line("write -> visible to search, p95", out.writeVisibleP95Ms!, 20);
  line(`graph (${out.graphNodes} nodes, ${out.graphEdges} edges)`, out.graphMs!, 200);
  line(`warm start + reconcile (files read: ${out.warmFilesRead})`, out.warmStartMs!);
  line("re-index one edited note, work p50", out.reindexWorkP50Ms!);
  line("re-index one edited note, work p95", out.reindexWorkP95Ms!, 50);
  line("outside edit -> indexed (watcher incl.) p50", out.editToIndexedP50Ms!);
  line("outside edit -> indexed (watcher incl.) p95", out.editToIndexedP95Ms!);
  line("RSS at the end", out.rssMb!, undefined, "MB");
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`${benchHeader()}\n`);
  await runVaultBench();
}
