import { Writable } from "node:stream";

/** One recent log event as `GET /api/logs` returns it. `time` is ISO 8601; `level` is pino's label. */
export interface LogEntry {
  time: string;
  level: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  component: string;
  message: string;
}

const LEVELS: Record<number, LogEntry["level"]> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

/**
 * A bounded ring of the most recent log events (default 1 000), fed by the logger as a pino stream. Memory
 * stays bounded whatever the log volume. Lines are already redacted when they arrive.
 */
export class LogBuffer {
  private readonly entries: LogEntry[] = [];
  private next = 0;
  readonly stream: Writable;

  constructor(readonly capacity = 1000) {
    this.stream = new Writable({
      write: (chunk: Buffer | string, _enc, cb) => {
        this.push(String(chunk));
        cb();
      },
    });
  }

  private push(line: string): void {
    let rec: { time?: number; level?: number; component?: string; msg?: string };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      return;
    }
    const entry: LogEntry = {
      time: new Date(rec.time ?? Date.now()).toISOString(),
      level: LEVELS[rec.level ?? 30] ?? "info",
      component: rec.component ?? "daemon",
      message: rec.msg ?? "",
    };
    if (this.entries.length < this.capacity) this.entries.push(entry);
    else this.entries[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Recent entries, newest first, optionally at or above `level` and at or after `since` (ISO time). */
  list(opts: { level?: LogEntry["level"]; since?: string; limit?: number } = {}): LogEntry[] {
    const order = ["trace", "debug", "info", "warn", "error", "fatal"];
    const min = opts.level ? order.indexOf(opts.level) : 0;
    const ordered = this.entries.length < this.capacity ? [...this.entries] : [...this.entries.slice(this.next), ...this.entries.slice(0, this.next)];
    const out = ordered.reverse().filter((e) => order.indexOf(e.level) >= min && (!opts.since || e.time >= opts.since));
    return opts.limit ? out.slice(0, opts.limit) : out;
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries.length = 0;
    this.next = 0;
  }
}
