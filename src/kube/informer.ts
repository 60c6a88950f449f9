// A list-then-watch of one collection (the node agent's launcher pods), over KubeRest: the objects
// held in an ObjectCache and each add/update/delete reported. The watch is one long-lived request;
// when the server ends it the informer watches again from the last version it saw, on 410 Gone it
// lists again (reporting what changed meanwhile), and on any other error it tells `error` and tries
// again after a pause that doubles (1–30 s). Nothing runs while the watch is quiet.
import { KubeRequestError, type KubeRest, type OpenWatch, type Query } from './kube-rest.js';
import { ObjectCache, type CacheChangeType, type CachedObject } from './object-cache.js';

export interface InformerOptions {
  labelSelector?: string;
  fieldSelector?: string;
  minRetryMs?: number;
  maxRetryMs?: number;
}

type ChangeHandler<T> = (object: T) => void;
type ErrorHandler = (err: unknown, retryInMs: number) => void;

export class Informer<T extends CachedObject> {
  private readonly cache = new ObjectCache<T>();
  private readonly handlers: Record<CacheChangeType, ChangeHandler<T>[]> = {
    add: [],
    update: [],
    delete: [],
  };
  private readonly errorHandlers: ErrorHandler[] = [];
  private readonly query: Query;
  /** The version to watch from; undefined when a list is due. */
  private resourceVersion: string | undefined;
  private current: OpenWatch | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly rest: KubeRest,
    private readonly path: string,
    private readonly opts: InformerOptions = {},
  ) {
    this.query = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
  }

  on(type: CacheChangeType, handler: ChangeHandler<T>): void;
  on(type: 'error', handler: ErrorHandler): void;
  on(type: CacheChangeType | 'error', handler: ChangeHandler<T> | ErrorHandler): void {
    if (type === 'error') this.errorHandlers.push(handler as ErrorHandler);
    else this.handlers[type].push(handler as ChangeHandler<T>);
  }

  /** The objects held now. */
  list(): T[] {
    return this.cache.list();
  }

  get(uid: string): T | undefined {
    return this.cache.get(uid);
  }

  /** Lists (rejecting when that fails), then keeps watching until stop(). */
  async start(): Promise<void> {
    await this.relist();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.abort();
    this.wake?.();
    await this.loop;
  }

  private async relist(): Promise<void> {
    const list = await this.rest.list<T>(this.path, this.query);
    for (const change of this.cache.replace(list.items)) this.emit(change.type, change.object);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  private async run(): Promise<void> {
    const min = this.opts.minRetryMs ?? 1000;
    const max = this.opts.maxRetryMs ?? 30_000;
    let delay = min;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        this.current = this.rest.watch(this.path, this.query, this.resourceVersion!, (event) => {
          const rv = (event.object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          const change = this.cache.apply(event);
          if (change) this.emit(change.type, change.object);
          delay = min;
        });
        await this.current.done;
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof KubeRequestError && err.status === 410) {
          this.resourceVersion = undefined;
          continue;
        }
        for (const h of this.errorHandlers) h(err, delay);
        await this.pause(delay);
        delay = Math.min(delay * 2, max);
      } finally {
        this.current = undefined;
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolvePromise) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolvePromise();
      }
      this.wake = done;
    }).finally(() => (this.wake = undefined));
  }

  private emit(type: CacheChangeType, object: T): void {
    for (const h of this.handlers[type]) h(object);
  }
}
