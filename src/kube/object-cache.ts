// An informer's local copy of the objects it watches, keyed by uid, and what each list or watch event
// changed in it: the add/update/delete an informer reports. A relist (after a lost watch) is compared
// with what was held, so an object deleted while no watch was open is still reported gone. Pure.
import type { WatchEvent } from './watch-events.js';

/** The part of an object the cache reads. */
export interface CachedObject {
  metadata?: { uid?: string; resourceVersion?: string };
}

export type CacheChangeType = 'add' | 'update' | 'delete';

export interface CacheChange<T> {
  type: CacheChangeType;
  /** The object as it is now; for a delete, its last state. */
  object: T;
}

export class ObjectCache<T extends CachedObject> {
  private readonly objects = new Map<string, T>();

  get(uid: string): T | undefined {
    return this.objects.get(uid);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  /** Holds exactly `items` (a list response); the changes from what was held before. */
  replace(items: readonly T[]): CacheChange<T>[] {
    const changes: CacheChange<T>[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const uid = item.metadata?.uid;
      if (!uid) continue;
      seen.add(uid);
      const change = this.put(uid, item);
      if (change) changes.push(change);
    }
    for (const [uid, old] of this.objects)
      if (!seen.has(uid)) {
        this.objects.delete(uid);
        changes.push({ type: 'delete', object: old });
      }
    return changes;
  }

  /** Applies one ADDED/MODIFIED/DELETED watch event; the change, if it made one. */
  apply(event: WatchEvent): CacheChange<T> | undefined {
    const object = event.object as T;
    const uid = object.metadata?.uid;
    if (!uid) return undefined;
    if (event.type === 'DELETED') {
      const old = this.objects.get(uid);
      this.objects.delete(uid);
      return { type: 'delete', object: old ?? object };
    }
    if (event.type === 'ADDED' || event.type === 'MODIFIED') return this.put(uid, object);
    return undefined;
  }

  private put(uid: string, object: T): CacheChange<T> | undefined {
    const old = this.objects.get(uid);
    this.objects.set(uid, object);
    if (!old) return { type: 'add', object };
    // A relist or a re-sent event of a version already held changes nothing.
    if (old.metadata?.resourceVersion === object.metadata?.resourceVersion) return undefined;
    return { type: 'update', object };
  }
}
