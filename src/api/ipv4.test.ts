import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIpv4, parseIpv4 } from './ipv4.js';

test('dotted quads parse to their number; anything else is undefined', () => {
  for (const [text, value] of [
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['10.0.0.1', 0x0a000001],
    ['169.254.75.10', 0xa9fe4b0a],
    ['249.250.199.100', 0xf9fac764],
  ] as const) {
    assert.equal(parseIpv4(text), value, text);
    assert.equal(formatIpv4(value), text);
  }
  for (const text of [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.00',
    '1.2.3.256',
    '1000.1.1.1',
    '1..2.3',
    '.1.2.3',
    '1.2.3.',
    'a.b.c.d',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '-1.2.3.4',
    '1.2.3.4\n',
    '::1',
  ]) {
    assert.equal(parseIpv4(text), undefined, JSON.stringify(text));
  }
});
