// The hand-off between the change stream reader and the dispatcher. Its capacity (repl.eventQueueSize,
// counted in events) is the backpressure: when the appliers fall behind, the dispatcher stops taking,
// the queue fills and the reader stops asking the source for more, so memory stays bounded however
// far the target lags.

interface Entry<T> {
  item: T;
  weight: number;
}

export class BoundedQueue<T> {
  private readonly entries: Entry<T>[] = [];
  private weight = 0;
  private closed = false;
  private wakeTaker: (() => void) | undefined;
  private wakePutter: (() => void) | undefined;

  constructor(
    private readonly capacity: number,
    private readonly onDepth: (depth: number) => void = () => {},
  ) {}

  /** How many events are waiting. */
  get depth(): number {
    return this.weight;
  }

  /**
   * Waits for room, then queues `item` (worth `weight` events). An item heavier than the whole
   * capacity is let in when the queue is empty, so one large batch cannot block forever.
   * Returns false, dropping the item, once the queue is closed.
   */
  async put(item: T, weight: number): Promise<boolean> {
    while (!this.closed && this.weight > 0 && this.weight + weight > this.capacity) {
      await new Promise<void>((resolve) => (this.wakePutter = resolve));
    }
    if (this.closed) return false;
    this.entries.push({ item, weight });
    this.weight += weight;
    this.onDepth(this.weight);
    this.wake('taker');
    return true;
  }

  /** The next item; undefined once the queue is closed and everything in it has been taken. */
  async take(): Promise<T | undefined> {
    while (this.entries.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => (this.wakeTaker = resolve));
    }
    const entry = this.entries.shift();
    if (!entry) return undefined;
    this.weight -= entry.weight;
    this.onDepth(this.weight);
    this.wake('putter');
    return entry.item;
  }

  /** No more puts; takes return what is left, then undefined. */
  close(): void {
    this.closed = true;
    this.wake('taker');
    this.wake('putter');
  }

  /** Closes and forgets what is queued (after a fatal error nothing more will be applied). */
  discard(): void {
    this.entries.length = 0;
    this.weight = 0;
    this.onDepth(0);
    this.close();
  }

  // One reader and one dispatcher use a queue, so there is at most one waiter on each side.
  private wake(side: 'taker' | 'putter'): void {
    const wake = side === 'taker' ? this.wakeTaker : this.wakePutter;
    if (side === 'taker') this.wakeTaker = undefined;
    else this.wakePutter = undefined;
    wake?.();
  }
}
