import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeCpioNewc } from './cpio-newc.js';

test('GNU cpio lists and reads back what the newc writer wrote', () => {
  const archive = writeCpioNewc([
    { kind: 'dir', path: 'etc' },
    { kind: 'file', path: 'etc/hello', data: Buffer.from('hi there\n'), mode: 0o755 },
    { kind: 'symlink', path: 'sh', target: 'busybox' },
    { kind: 'dir', path: 'dev' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
  ]);
  assert.equal(archive.length % 4, 0);
  const listed = spawnSync('cpio', ['-t', '-v', '--quiet'], { input: archive, encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const lines = listed.stdout.trim().split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[1]!, /^-rwxr-xr-x .* 9 .* etc\/hello$/);
  assert.match(lines[2]!, /^lrwxrwxrwx .* sh -> busybox$/);
  assert.match(lines[4]!, /^crw------- .* 5,\s+1 .* dev\/console$/);
  const content = spawnSync('cpio', ['-i', '--to-stdout', '--quiet', 'etc/hello'], { input: archive });
  assert.equal(content.stdout.toString(), 'hi there\n');
});
