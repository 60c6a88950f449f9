// Packs a NoCloud seed into a `cidata` ISO 9660 image with genisoimage (Debian's genisoimage), the
// volume label cloud-init's NoCloud datasource looks for.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runProgram } from '../exec/run-program.js';
import type { NoCloudFiles } from './cloud-init.js';

/** Writes `files` into the ISO at `isoPath` (replacing it). */
export async function writeCidataIso(files: NoCloudFiles, isoPath: string): Promise<void> {
  const staging = mkdtempSync(join(dirname(isoPath), '.cidata-'));
  try {
    const names = Object.keys(files) as (keyof NoCloudFiles)[];
    for (const name of names) writeFileSync(join(staging, name), files[name]);
    await runProgram(
      [
        'genisoimage',
        '-quiet',
        '-output',
        isoPath,
        '-volid',
        'cidata',
        '-joliet',
        '-rock',
        ...names.map((n) => join(staging, n)),
      ],
      { timeoutMs: 30_000 },
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
