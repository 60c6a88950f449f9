import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mappedLibraries, sonameOf } from './cni-plugin-bundle.js';

test('mappedLibraries: the shared objects of a maps file, once each; no addons, no anonymous maps', () => {
  const maps = [
    '55d0c8a00000-55d0c8e00000 r--p 00000000 fe:01 1234  /usr/bin/node',
    '7f10a0000000-7f10a0021000 r--p 00000000 fe:01 99    /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
    '7f10a0021000-7f10a0100000 r-xp 00021000 fe:01 99    /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
    '7f10a1000000-7f10a1010000 r--p 00000000 fe:01 100   /usr/lib/x86_64-linux-gnu/libc.so.6',
    '7f10a2000000-7f10a2010000 r--p 00000000 fe:01 101   /app/build/Release/fast_spawn.node',
    '7f10a3000000-7f10a3010000 rw-p 00000000 00:00 0 ',
    '7f10a4000000-7f10a4010000 r--p 00000000 fe:01 102   /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    '7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0     [stack]',
  ].join('\n');
  assert.deepEqual(mappedLibraries(maps), [
    '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
  ]);
});

test('sonameOf: the name up to the major version, as the loader looks it up', () => {
  assert.equal(sonameOf('/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30'), 'libstdc++.so.6');
  assert.equal(sonameOf('/lib/libc.so.6'), 'libc.so.6');
  assert.equal(sonameOf('/lib64/ld-linux-x86-64.so.2'), 'ld-linux-x86-64.so.2');
  assert.equal(sonameOf('/lib/ld-musl-x86_64.so.1'), 'ld-musl-x86_64.so.1');
});
