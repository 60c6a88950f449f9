// cloud-init's own network-config converter, for tests: 22.4's `cloud-init schema` does not check
// network-config, so `cloud-init devel net-convert` is the check, and any WARNING it prints fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Converts `networkConfig` for Debian into `outputKind`; returns the rendered files' text. */
export function netConvert(
  t: { after: (fn: () => void) => void },
  networkConfig: string,
  outputKind: 'netplan' | 'eni' | 'networkd',
): string {
  const dir = mkdtempSync(join(tmpdir(), 'vnci-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'network-config'), networkConfig);
  const r = spawnSync(
    'cloud-init',
    [
      'devel',
      'net-convert',
      '-p',
      join(dir, 'network-config'),
      '-k',
      'yaml',
      '-d',
      join(dir, 'out'),
      '-D',
      'debian',
      '-O',
      outputKind,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const all = `${r.stdout}\n${r.stderr}`;
  assert.doesNotMatch(all, /WARNING/, `cloud-init warned:\n${all}\n${networkConfig}`);
  const texts: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else texts.push(readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(join(dir, 'out'));
  return texts.join('\n');
}
