// The body of a Kubernetes watch response: one JSON event per line ({"type":"ADDED","object":{...}}),
// arriving in chunks that split lines anywhere. Pure: the splitter keeps the unfinished tail, the
// parser names what it could not read.
import { VirtnetError } from '../errors/virtnet-error.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  /** The object; for ERROR a Status ({code, reason, message}); for BOOKMARK only its resourceVersion. */
  object: Record<string, unknown>;
}

const TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** Cuts a byte stream into complete lines; a line may span chunks (and a character may too). */
export class LineSplitter {
  private tail = Buffer.alloc(0);

  /** The complete non-empty lines `chunk` finishes. */
  push(chunk: Buffer): string[] {
    const data = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    const lines: string[] = [];
    let start = 0;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
      const line = data.subarray(start, nl).toString('utf8').trim();
      if (line !== '') lines.push(line);
      start = nl + 1;
    }
    this.tail = Buffer.from(data.subarray(start));
    return lines;
  }

  /** What is left when the stream ends: a last line without its newline, if any. */
  end(): string[] {
    const line = this.tail.toString('utf8').trim();
    this.tail = Buffer.alloc(0);
    return line === '' ? [] : [line];
  }
}

/** One watch event line. Throws WATCH_EVENT_INVALID on anything else. */
export function parseWatchEvent(line: string): WatchEvent {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (err) {
    throw new VirtnetError('WATCH_EVENT_INVALID', `watch event is not JSON: ${(err as Error).message}`, {
      line: line.slice(0, 200),
    });
  }
  const event = doc as { type?: unknown; object?: unknown };
  if (typeof doc !== 'object' || doc === null || typeof event.type !== 'string' || !TYPES.has(event.type))
    throw new VirtnetError('WATCH_EVENT_INVALID', 'watch event without a known type', {
      field: 'type',
      line: line.slice(0, 200),
    });
  if (typeof event.object !== 'object' || event.object === null || Array.isArray(event.object))
    throw new VirtnetError('WATCH_EVENT_INVALID', `${event.type} watch event without an object`, {
      field: 'object',
      line: line.slice(0, 200),
    });
  return { type: event.type as WatchEventType, object: event.object as Record<string, unknown> };
}
