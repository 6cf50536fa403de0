import type { DeliverySample, Metrics, RunSample } from "./metrics.js";

/** The content type of the Prometheus text format 0.0.4, what prom-client's `Registry.contentType` is. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * The daemon's {@link Metrics}, with prom-client loaded on first use instead of at start: the first scrape
 * (`GET /metrics`) or the first sample (a run's end, a settled delivery), whichever comes first. prom-client and
 * what it loads (its default metrics, `@opentelemetry/api`, `node:cluster`) cost ~10 ms of CPU and ~1 MB of heap
 * before the port opens, for a figure an idle daemon that nobody scrapes never shows (docs/performance.md
 * "Start-up: built-ins before the V8 flags, and modules loaded on first use"). Samples taken while it loads are
 * recorded in order once it has loaded, so no run or delivery is missed. `create` builds the real {@link Metrics} (it imports ./metrics.js); when it
 * fails (a broken install), every `render` rejects with its error and `onError` gets it once, for the samples.
 */
export class LazyMetrics {
  private loaded: Metrics | undefined;
  private loading: Promise<Metrics> | undefined;
  private readonly pending: Array<(m: Metrics) => void> = [];
  private failureReported = false;

  constructor(
    private readonly create: () => Promise<Metrics>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Counts one finished run (see {@link Metrics.recordRun}). */
  recordRun(s: RunSample): void {
    this.record((m) => m.recordRun(s));
  }

  /** Counts one delivery that was acknowledged or failed (see {@link Metrics.recordDelivery}). */
  recordDelivery(s: DeliverySample): void {
    this.record((m) => m.recordDelivery(s));
  }

  /** {@link PROMETHEUS_CONTENT_TYPE}, the content type of {@link render}'s text. */
  get contentType(): string {
    return this.loaded?.contentType ?? PROMETHEUS_CONTENT_TYPE;
  }

  /** The text exposition (see {@link Metrics.render}); loads prom-client on the first call. */
  async render(): Promise<string> {
    return (await this.load()).render();
  }

  private record(sample: (m: Metrics) => void): void {
    if (this.loaded) return sample(this.loaded);
    this.pending.push(sample);
    this.load().catch((err: unknown) => {
      this.pending.length = 0;
      if (this.failureReported) return;
      this.failureReported = true;
      this.onError(err);
    });
  }

  private load(): Promise<Metrics> {
    this.loading ??= this.create().then((m) => {
      this.loaded = m;
      for (const sample of this.pending.splice(0)) sample(m);
      return m;
    });
    return this.loading;
  }
}
