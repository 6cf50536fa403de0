import { readdirSync, rmSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { FeatureFactory } from "../feature.js";
import { backupFileName, createBackup } from "./archive.js";

/** Longest wait the timer takes at once, in ms (Node timers overflow above 2^31 − 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The scheduled archives of an agent in `dir` (`<agent>-<time>.tar.gz`), oldest first, with their times (ms). */
export function scheduledBackups(dir: string, agent: string): Array<{ file: string; mtimeMs: number }> {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const re = new RegExp(`^${agent.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d{8}T\\d{6}Z\\.tar\\.gz$`);
  return names.filter((n) => re.test(n)).sort().map((n) => ({ file: join(dir, n), mtimeMs: statSync(join(dir, n)).mtimeMs }));
}

/** Deletes all but the newest `keep` scheduled archives of `agent` in `dir`; returns the deleted paths. */
export function pruneBackups(dir: string, agent: string, keep: number): string[] {
  const all = scheduledBackups(dir, agent);
  const old = all.slice(0, Math.max(0, all.length - keep));
  for (const b of old) rmSync(b.file, { force: true });
  return old.map((b) => b.file);
}

/**
 * Scheduled backups (`backup.intervalHours` > 0 in agentd.yaml): once the daemon runs, a backup is due
 * `intervalHours` after the newest archive in `backup.dir` (at once when there is none or it is older), then every
 * `intervalHours`; each copies the database through the daemon's own connection (its writes never restart the copy)
 * and keeps the newest `backup.keep` archives. A failure is logged at error level and tried again at the next due
 * time. A config change of `backup` applies at once (the next due time is computed again).
 */
export const backupFeature: FeatureFactory = (ctx) => {
  const log = ctx.logger.child({ component: "backup" });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  const folder = () => {
    const d = ctx.config.get().backup.dir;
    return isAbsolute(d) ? d : join(ctx.dir, d);
  };
  const schedule = () => {
    const { intervalHours } = ctx.config.get().backup;
    if (stopped || intervalHours <= 0) return;
    const intervalMs = intervalHours * 3_600_000;
    const newest = scheduledBackups(folder(), ctx.config.get().name).at(-1);
    const dueInMs = newest ? Math.max(0, newest.mtimeMs + intervalMs - Date.now()) : 0;
    timer = setTimeout(() => {
      if (dueInMs > MAX_TIMER_MS) return schedule();
      running = run().finally(() => {
        running = undefined;
        schedule();
      });
    }, Math.min(dueInMs, MAX_TIMER_MS));
    timer.unref();
  };
  const run = async () => {
    const cfg = ctx.config.get();
    const dir = folder();
    try {
      const r = await createBackup(ctx.dir, { outFile: join(dir, backupFileName(cfg.name)), includeSecrets: cfg.backup.includeSecrets, store: ctx.store, exclude: [dir] });
      const pruned = pruneBackups(dir, cfg.name, cfg.backup.keep);
      log.info({ file: r.file, bytes: r.bytes, pruned: pruned.length }, "scheduled backup written");
    } catch (err) {
      log.error({ err }, `scheduled backup failed: ${(err as Error).message}`);
    }
  };
  let unsubscribe: (() => void) | undefined;
  return {
    name: "backup",
    start: () => {
      schedule();
      unsubscribe = ctx.config.onChange((_next, _prev, changed) => {
        if (!changed.includes("backup") || running) return; // a running backup schedules the next one itself
        clearTimeout(timer);
        schedule();
      });
    },
    stop: async () => {
      stopped = true;
      unsubscribe?.();
      clearTimeout(timer);
      await running;
    },
  };
};
