// A work queue of object keys (`namespace/name`) as controllers use it: a key waits at most once, is
// never processed twice at the same time (an add while it runs queues one more run), and a failed run
// is retried after an exponential backoff that a success resets. Keys are processed by `concurrency`
// workers in arrival order.

export interface WorkQueueOptions {
  concurrency?: number;
  /** First retry delay; doubles per consecutive failure of the same key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A run taking longer fails (and is retried); the run itself is not cancelled. */
  timeoutMs?: number;
  /** Told about each failure (the key will be retried after `retryInMs`). */
  onError?: (key: string, err: unknown, retryInMs: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly opts: WorkQueueOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 2;
    this.baseDelayMs = opts.baseDelayMs ?? 50;
    this.maxDelayMs = opts.maxDelayMs ?? 30_000;
  }

  /** Queues `key` now (a pending backoff for it is cut short). */
  add(key: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Queues `key` after `delayMs` unless it is added earlier. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** The backoff of `key`'s next retry: baseDelayMs × 2^(failures − 1), at most maxDelayMs. */
  retryDelayMs(failures: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, failures - 1));
  }

  get length(): number {
    return this.queue.length + this.active;
  }

  /** Resolves when nothing is queued or running (timers for retries may still be set). */
  idle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops everything queued and every timer; runs in progress finish. */
  shutdown(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.running.add(key);
      this.active++;
      void this.run(key);
    }
    if (this.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const run = this.handle(key);
      const limit = this.opts.timeoutMs;
      if (limit === undefined) await run;
      else {
        const expired = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no result after ${limit} ms`)), limit);
        });
        // A late failure of the abandoned run is nobody's to report.
        run.catch(() => undefined);
        await Promise.race([run, expired]);
      }
      this.failures.delete(key);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = this.retryDelayMs(n);
      this.opts.onError?.(key, err, delay);
      if (!this.dirty.has(key)) this.addAfter(key, delay);
    } finally {
      clearTimeout(timer);
      this.running.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
