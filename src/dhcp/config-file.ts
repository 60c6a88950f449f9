// Reading the DHCP server configuration file: JSON, validated, every problem reported with its
// field path in one typed error (DHCP_CONFIG_INVALID) rather than at first use.
import { readFile } from 'node:fs/promises';
import { VirtnetError } from '../errors/virtnet-error.js';
import { parseDhcp4ServerConfig } from './config-schema.js';
import type { Dhcp4ServerConfig } from './server-config.js';

/** Reads and validates a Dhcp4ServerConfig file; throws DHCP_CONFIG_INVALID or DHCP_CONFIG_UNREADABLE. */
export async function readDhcp4ServerConfig(path: string): Promise<Dhcp4ServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new VirtnetError(
      'DHCP_CONFIG_UNREADABLE',
      `cannot read DHCP config ${path}: ${(err as Error).message}`,
      { path },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new VirtnetError(
      'DHCP_CONFIG_INVALID',
      `DHCP config ${path} is not JSON: ${(err as Error).message}`,
      { path },
    );
  }
  const r = parseDhcp4ServerConfig(json);
  if (!r.ok) {
    const first = r.issues[0];
    const summary = r.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
    throw new VirtnetError('DHCP_CONFIG_INVALID', `invalid DHCP config ${path}: ${summary}`, {
      path,
      field: first?.path,
      issues: r.issues,
    });
  }
  return r.config;
}
