// A counting semaphore: bounds how many readers and insert batches are in flight across all the
// collections being cloned, which bounds memory (each slot holds at most one batch) and the load put
// on the source and the target.
export class Semaphore {
  private available: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.available = slots;
  }

  /** Resolves with the release function once a slot is free. */
  async acquire(): Promise<() => void> {
    if (this.available > 0) this.available--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // A waiter takes the slot over directly, so a newcomer cannot overtake it.
      if (next) next();
      else this.available++;
    };
  }
}
