/**
 * Collects the values pushed during one turn of the event loop and hands them to `flush` together, in the order
 * they were pushed, once the current callback and every promise job it started have run (`process.nextTick`
 * queued from a callback runs after them; queued from a promise job, after the rest of the microtask queue).
 * The transports use it so that the frames a run produces together (`chat.send`'s answer with the events held
 * for its fsync, a model read carrying several deltas and the final event) leave in one socket write instead of
 * one write(2) per frame, and no value waits longer than the tick it was pushed in: a lone value is flushed at
 * the end of its own tick, never held for a next one (issue 20).
 */
export class TickBatch<T> {
  private items: T[] = [];
  private scheduled = false;

  /** `flush` receives the values of one tick, oldest first; it is never called with an empty array. */
  constructor(private readonly flush: (items: T[]) => void) {}

  /** Queues `item` for the flush at the end of the current tick (scheduling one when it is the first). */
  push(item: T): void {
    this.items.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.onTick);
    }
  }

  /** Values queued and not flushed yet. */
  get size(): number {
    return this.items.length;
  }

  /** Flushes what is queued now, before the end of the tick (e.g. an error frame that must precede a close). */
  flushNow(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.flush(items);
  }

  /** Drops what is queued (the peer is gone); later pushes are batched again. */
  clear(): void {
    this.items = [];
  }

  private readonly onTick = (): void => {
    this.scheduled = false;
    this.flushNow();
  };
}
