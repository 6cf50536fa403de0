/** pino's numeric levels used for process warnings: deprecations at debug, other warnings at warn. */
const DEBUG = 20;
const WARN = 40;

/**
 * Replaces Node's default printing of process warnings (`(node:PID) [DEP0040] DeprecationWarning: …` on stderr)
 * with one pino JSON line each on `write` (stderr by default), which the bridge supervisor logs at the line's level:
 * a `DeprecationWarning` (raised by a dependency, e.g. `punycode` or `url.parse()` inside grammY's HTTP stack, on
 * every start; nothing the user can act on) at debug, every other warning at warn. Each distinct warning is
 * written once. Node prints warnings through its own `warning` listener
 * (https://nodejs.org/api/process.html#event-warning); removing it is the documented way to take over.
 */
export function routeProcessWarnings(write: (line: string) => void = (l) => process.stderr.write(l)): void {
  process.removeAllListeners("warning");
  const seen = new Set<string>();
  process.on("warning", (w: Error & { code?: string }) => {
    const key = `${w.name}:${w.code ?? ""}:${w.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    const level = w.name === "DeprecationWarning" ? DEBUG : WARN;
    write(`${JSON.stringify({ level, time: Date.now(), msg: `${w.name}${w.code ? ` ${w.code}` : ""}: ${w.message}` })}\n`);
  });
}
