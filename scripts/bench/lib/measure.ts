import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Percentile `p` (0..100) of `values` by nearest rank; NaN for an empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Median of `values`. */
export const median = (values: number[]): number => percentile(values, 50);

/** Formats a figure with its unit and, when given, its budget and whether it is within it. */
export function row(label: string, value: number, unit: string, budget?: number): string {
  const v = `${value.toFixed(value < 10 ? 2 : 1)} ${unit}`;
  const b = budget === undefined ? "" : `   budget < ${budget} ${unit}: ${value < budget ? "ok" : "OVER"}`;
  return `${label.padEnd(44)} ${v.padStart(12)}${b}`;
}

/**
 * Formats a figure next to its baseline measured in the same run: `value unit   = 2.41× <baseline label>`, and,
 * when `target` (a ratio) is given, whether the ratio is within it (`ratio ≤ target`). `added` prints the
 * difference instead (`+0.62 ms over …`) for figures whose target is a difference.
 */
export function ratioRow(label: string, value: number, unit: string, base: number, baseLabel: string, target?: number): string {
  const v = `${value.toFixed(value < 10 ? 2 : 1)} ${unit}`;
  const r = value / base;
  const t = target === undefined ? "" : `   target ≤ ${target}×: ${r <= target ? "ok" : "OVER"}`;
  return `${label.padEnd(44)} ${v.padStart(12)}   = ${r.toFixed(2)}× ${baseLabel}${t}`;
}

/** Milliseconds of `node -e 0` with the same binary (the floor of any Node start), median of `runs`. */
export function nodeFloorMs(runs = 5): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * CPU time in ms a live process has used so far, from Linux's `/proc/<pid>/task/<tid>/schedstat` (first field:
 * nanoseconds on a CPU, per thread, summed over the threads alive now: the main thread, V8's and libuv's workers).
 * What load on a shared machine changes far less than wall time. NaN where /proc is not there (not Linux) or the
 * process is gone. Threads that already exited (e.g. those of the launcher before its `execve`) are not counted.
 * Nanosecond resolution, for one start; {@link cpuMsOf} (10 ms ticks, exited threads included) suits long runs.
 */
export function procCpuMs(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    }
    return ns / 1e6;
  } catch {
    return Number.NaN;
  }
}

/**
 * Starts `node <cli> start <dir>` and resolves with the child, the milliseconds until `.port` exists and
 * `/api/health` answers 200 (what a user waits for), the CPU ms the daemon had used by then and when `.port` was
 * first seen (`portCpuMs`: the work before it listens; {@link procCpuMs}, polled every 2 ms).
 */
export async function timeStart(cli: string, dir: string, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<{ ms: number; cpuMs: number; portCpuMs: number; child: ChildProcess; port: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, cli, "start", dir], { stdio: "ignore", env: { ...process.env, ...env } });
  const portFile = join(dir, ".port");
  let portCpuMs = Number.NaN;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
    if (existsSync(portFile)) {
      if (Number.isNaN(portCpuMs)) portCpuMs = procCpuMs(child.pid!);
      const port = Number.parseInt(readFileSync(portFile, "utf8"), 10);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/api/health`);
        if (r.ok) {
          const ms = performance.now() - t0;
          return { ms, cpuMs: procCpuMs(child.pid!), portCpuMs, child, port };
        }
      } catch {
        /* not yet */
      }
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Sends SIGTERM and waits for the exit. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null) return r();
    child.once("exit", () => r());
    child.kill("SIGTERM");
  });
}

/**
 * Runs every path once per round, `warmup + rounds` rounds, rotating which path goes first so drift on a shared
 * machine hits all alike; the warm-up rounds are dropped. Returns each path's times (ms) and, per kept round, the
 * difference of each path to `baseline` (paired differences: what a path adds over the baseline in the same round).
 * `onWarm` is called once, after the warm-up rounds (e.g. to take a first reading of a process's CPU time).
 */
export async function interleavedRounds(
  paths: Record<string, () => Promise<number>>,
  opts: { warmup: number; rounds: number; baseline: string; onWarm?: () => void },
): Promise<{ times: Record<string, number[]>; diffs: Record<string, number[]> }> {
  const names = Object.keys(paths);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const diffs: Record<string, number[]> = Object.fromEntries(names.filter((n) => n !== opts.baseline).map((n) => [n, []]));
  for (let i = 0; i < opts.warmup + opts.rounds; i++) {
    if (i === opts.warmup) opts.onWarm?.();
    const got: Record<string, number> = {};
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length]!;
      got[name] = await paths[name]!();
    }
    if (i < opts.warmup) continue;
    for (const name of names) times[name]!.push(got[name]!);
    for (const name of Object.keys(diffs)) diffs[name]!.push(got[name]! - got[opts.baseline]!);
  }
  return { times, diffs };
}

/**
 * CPU time a process has used so far (user + system, every thread: the event loop, libuv's pool doing the
 * fdatasyncs, V8's GC threads), in ms, from `/proc/PID/stat` (fields 14 and 15, in clock ticks of 10 ms: summed over
 * hundreds of turns the tick is fine enough). Load on the machine barely changes it, unlike wall time.
 */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
