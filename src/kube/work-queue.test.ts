import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './work-queue.js';

test('a key queued several times while waiting runs once; an add while it runs runs it once more', async () => {
  const runs: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new WorkQueue(
    async (k) => {
      runs.push(k);
      if (runs.length === 1) await gate;
    },
    { concurrency: 1 },
  );
  q.add('a');
  q.add('b');
  q.add('b');
  q.add('a'); // a is running: one more run after it
  q.add('a');
  release();
  await q.idle();
  assert.deepEqual(runs, ['a', 'b', 'a']);
});

test('a failing key is retried with exponential backoff until it succeeds, then its count resets', async () => {
  let calls = 0;
  const delays: number[] = [];
  const q = new WorkQueue(
    () => {
      calls++;
      return calls <= 3 ? Promise.reject(new Error('conflict')) : Promise.resolve();
    },
    { baseDelayMs: 5, maxDelayMs: 15, onError: (_k, _e, d) => delays.push(d) },
  );
  q.add('x');
  for (let i = 0; i < 100 && calls < 4; i++) await new Promise((r) => setTimeout(r, 10));
  await q.idle();
  assert.equal(calls, 4);
  assert.deepEqual(delays, [5, 10, 15]);
  assert.equal(q.retryDelayMs(1), 5);
  assert.equal(q.retryDelayMs(10), 15);
  q.shutdown();
});

test('no two runs of one key overlap, with several workers', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const q = new WorkQueue(
    async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    },
    { concurrency: 4 },
  );
  for (let i = 0; i < 20; i++) q.add('same');
  await new Promise((r) => setTimeout(r, 2));
  q.add('same');
  await q.idle();
  assert.equal(maxInFlight, 1);
});

test('a run that never ends fails after timeoutMs and frees its worker', async () => {
  const errors: string[] = [];
  let calls = 0;
  const q = new WorkQueue(
    (k) => {
      calls++;
      return k === 'stuck' && calls === 1 ? new Promise<void>(() => undefined) : Promise.resolve();
    },
    {
      concurrency: 1,
      timeoutMs: 20,
      baseDelayMs: 5,
      onError: (k, e) => errors.push(`${k}: ${(e as Error).message}`),
    },
  );
  q.add('stuck');
  q.add('next');
  for (let i = 0; i < 50 && calls < 3; i++) await new Promise((r) => setTimeout(r, 10));
  await q.idle();
  assert.deepEqual(errors, ['stuck: no result after 20 ms']);
  assert.equal(calls, 3); // stuck, next, stuck again (retried)
  q.shutdown();
});
