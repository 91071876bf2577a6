// A deletion that can be undone for a few seconds: the thing is hidden at once, and removed for
// good when the window closes (or when another deletion opens a new one). Datasets and runs use it.
export class UndoWindow<T> {
  /** What was deleted and can still be brought back, or null. */
  pending = $state<T | null>(null);
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ms: number, private readonly commit: (item: T) => Promise<unknown>) {}

  /** Starts a window for `item`, first closing (committing) any open one. */
  async open(item: T): Promise<void> {
    await this.close();
    this.pending = item;
    this.timer = setTimeout(() => void this.close(), this.ms);
  }

  /** Ends the window and removes the item for good. */
  async close(): Promise<void> {
    const item = this.take();
    if (item !== null) await this.commit(item);
  }

  /** Ends the window without removing the item: the caller restores it. */
  take(): T | null {
    clearTimeout(this.timer);
    const item = this.pending;
    this.pending = null;
    return item;
  }
}
