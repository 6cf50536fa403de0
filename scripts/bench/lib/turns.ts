/**
 * Runs many chat turns against a daemon over the WebSocket protocol: `concurrency` workers, each on its own
 * connection, each moving to a fresh session every `turnsPerSession` turns. Checks every turn's events (a
 * contiguous per-run `seq` from 1, exactly one final event, deltas that join to the final text) so a benchmark
 * also proves nothing was lost or duplicated.
 */
import { RawWs, type TurnResult } from "../../../tests/support/raw-ws.js";

/** What a batch of turns produced. Times in ms. */
export interface TurnStats {
  turns: number;
  errors: number;
  /** Turns whose events had a gap, a repeated seq, more than one final event, or deltas not joining to the text. */
  broken: number;
  firstDeltaMs: number[];
  totalMs: number[];
  /** Wall time of the batch. */
  elapsedMs: number;
}

/** Checks one turn's events; returns a description of the first problem, or undefined. */
export function checkTurn(t: TurnResult, expectedText?: string): string | undefined {
  let seq = 0;
  let finals = 0;
  let text = "";
  for (const e of t.events) {
    if (e.seq !== ++seq) return `seq ${e.seq} where ${seq} was expected`;
    if (e.event === "run.delta") text += e.payload.text as string;
    if (e.event === "run.done" || e.event === "run.error") finals++;
  }
  if (finals !== 1) return `${finals} final events`;
  if (t.final.event === "run.done" && text !== t.final.payload.text) return "deltas do not join to the final text";
  if (expectedText !== undefined && t.final.payload.text !== expectedText) return `text "${String(t.final.payload.text).slice(0, 60)}" instead of "${expectedText.slice(0, 60)}"`;
  return undefined;
}

/** A pool of connected workers that run turns until told to stop. */
export class TurnPool {
  private constructor(private readonly clients: RawWs[]) {}

  /** Connects `n` clients (handshake done, frames not recorded). */
  static async connect(wsUrl: string, token: string, n: number): Promise<TurnPool> {
    const clients: RawWs[] = [];
    for (let i = 0; i < n; i += 50) {
      clients.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => RawWs.connect(wsUrl, token, { record: false })))));
    }
    return new TurnPool(clients);
  }

  /** Number of workers. */
  get size(): number {
    return this.clients.length;
  }

  /**
   * Runs turns on every worker until `more(done)` returns false (checked before each turn; `done` counts turns
   * started so far), then waits for the turns in flight. Each text is unique (`w<worker> t<n> …`); the echo model
   * answers `You said: <text>`, which is checked when `echo` is true. `onTurn` sees each finished turn.
   */
  async run(opts: {
    more: (started: number) => boolean;
    turnsPerSession: number;
    tag: string;
    echo?: boolean;
    onTurn?: (t: TurnResult) => void;
  }): Promise<TurnStats> {
    const stats: TurnStats = { turns: 0, errors: 0, broken: 0, firstDeltaMs: [], totalMs: [], elapsedMs: 0 };
    let started = 0;
    const t0 = performance.now();
    await Promise.all(
      this.clients.map(async (c, w) => {
        let sessionId: string | undefined;
        let inSession = 0;
        while (opts.more(started)) {
          const n = started++;
          if (inSession >= opts.turnsPerSession) {
            sessionId = undefined;
            inSession = 0;
          }
          const text = `w${w} t${n} ${opts.tag} hello there, how are you today?`;
          const t = await c.turn(text, { idempotencyKey: `${opts.tag}-${n}`, ...(sessionId ? { sessionId } : {}), timeoutMs: 120_000 });
          sessionId = t.sessionId;
          inSession++;
          stats.turns++;
          if (t.final.event === "run.error") stats.errors++;
          if (checkTurn(t, opts.echo === false ? undefined : `You said: ${text}`)) stats.broken++;
          stats.firstDeltaMs.push(t.firstDeltaMs);
          stats.totalMs.push(t.totalMs);
          opts.onTurn?.(t);
        }
      }),
    );
    stats.elapsedMs = performance.now() - t0;
    return stats;
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
