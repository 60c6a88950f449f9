import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVirtnetError } from '../errors/virtnet-error.js';
import { LineSplitter, parseWatchEvent } from './watch-events.js';

test('LineSplitter: lines split across chunks (even inside a UTF-8 character), blank lines dropped', () => {
  const s = new LineSplitter();
  const text = Buffer.from('{"a":"é"}\n\n{"b":2}\n{"c"');
  assert.deepEqual(s.push(text.subarray(0, 7)), []); // cuts the two-byte é in half
  assert.deepEqual(s.push(text.subarray(7)), ['{"a":"é"}', '{"b":2}']);
  assert.deepEqual(s.push(Buffer.from(':3}\n')), ['{"c":3}']);
  assert.deepEqual(s.push(Buffer.from('{"d":4}')), []);
  assert.deepEqual(s.end(), ['{"d":4}']);
  assert.deepEqual(s.end(), []);
});

test('parseWatchEvent: ADDED, BOOKMARK and ERROR events', () => {
  assert.deepEqual(parseWatchEvent('{"type":"ADDED","object":{"metadata":{"uid":"u1"}}}'), {
    type: 'ADDED',
    object: { metadata: { uid: 'u1' } },
  });
  assert.equal(
    parseWatchEvent('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}}').type,
    'BOOKMARK',
  );
  const gone = parseWatchEvent('{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}}');
  assert.equal((gone.object as { code: number }).code, 410);
});

test('parseWatchEvent: not JSON, unknown type, no object are WATCH_EVENT_INVALID', () => {
  for (const line of ['{"type":"ADDED"', '{"type":"RENAMED","object":{}}', '{"type":"DELETED"}', '[1]']) {
    assert.throws(
      () => parseWatchEvent(line),
      (err: unknown) => isVirtnetError(err, 'WATCH_EVENT_INVALID'),
      line,
    );
  }
});
