// Maps what `ip` prints on failure to stable error codes. The only place that reads iproute2's
// message text: everything above works with VirtnetError codes (LINK_EXISTS, NO_SUCH_DEVICE, ...).
import { VirtnetError, isVirtnetError } from '../errors/virtnet-error.js';

/** Codes for kernel/iproute2 failures, most specific first. */
const PATTERNS: { re: RegExp; code: string; hint: string }[] = [
  {
    re: /Cannot open network namespace|Invalid netns value|setting the network namespace .* failed/i,
    code: 'NETNS_NOT_FOUND',
    hint: 'network namespace not found',
  },
  {
    re: /Unknown device type|Error: Unknown link kind|not supported by kernel|Object "tuntap" is unknown/i,
    code: 'KERNEL_FEATURE_MISSING',
    hint: 'the kernel lacks this device type',
  },
  {
    re: /Cannot find device|No such device|does not exist|Device does not exist/i,
    code: 'NO_SUCH_DEVICE',
    hint: 'no such device',
  },
  {
    re: /Operation not permitted|Permission denied/i,
    code: 'PERMISSION_DENIED',
    hint: 'needs CAP_NET_ADMIN',
  },
  { re: /Device or resource busy/i, code: 'DEVICE_BUSY', hint: 'device busy' },
  {
    re: /Nexthop has invalid gateway|Network is unreachable/i,
    code: 'GATEWAY_UNREACHABLE',
    hint: 'gateway not reachable on the device',
  },
  { re: /Cannot assign requested address/i, code: 'ADDRESS_NOT_FOUND', hint: 'address not present' },
  { re: /No such process|ESRCH/i, code: 'ROUTE_NOT_FOUND', hint: 'route or entry not present' },
  {
    re: /Numerical result out of range|Invalid argument|invalid mtu|Error: argument .* is wrong/i,
    code: 'INVALID_ARGUMENT',
    hint: 'the kernel rejected a value',
  },
];

/** The object an `ip` command line works on, to refine "File exists". */
function existsCode(command: string): string {
  if (/^\s*(-\S+\s+)*(addr|address|a)\b/.test(command)) return 'ADDRESS_EXISTS';
  if (/^\s*(-\S+\s+)*(route|r|ro)\b/.test(command)) return 'ROUTE_EXISTS';
  if (/^\s*(-\S+\s+)*(neigh|neighbour|n)\b/.test(command)) return 'NEIGHBOUR_EXISTS';
  return 'LINK_EXISTS';
}

/** Classifies iproute2 stderr for the failing `command` (argv after `ip`, or one batch line). */
export function classifyIpFailure(stderr: string, command: string): { code: string; hint: string } {
  if (/File exists/i.test(stderr)) return { code: existsCode(command), hint: 'already exists' };
  for (const p of PATTERNS) if (p.re.test(stderr)) return { code: p.code, hint: p.hint };
  return { code: 'IP_FAILED', hint: 'ip failed' };
}

/**
 * Turns a runProgram failure of `ip` into a typed host error. For `-batch`, iproute2 reports
 * "Command failed -:N": the failing line is named in the detail (`line`, `command`).
 */
export function toIpError(err: unknown, netns: string | undefined, commands: readonly string[]): unknown {
  if (!isVirtnetError(err) || err.code !== 'EXEC_FAILED') return err;
  const stderr = typeof err.detail.stderr === 'string' ? err.detail.stderr : '';
  const lineMatch = /Command failed [^:\n]*:(\d+)/.exec(stderr);
  const lineNo = lineMatch ? Number(lineMatch[1]) : undefined;
  const command = lineNo !== undefined ? (commands[lineNo - 1] ?? '') : commands.join(' ');
  const { code, hint } = classifyIpFailure(stderr, command);
  const device =
    /\bdev(?:ice)?\s+(\S+)/.exec(command)?.[1] ??
    /^link\s+(?:add|del|set)\s+(?:dev\s+)?(\S+)/.exec(command)?.[1];
  const firstError =
    stderr
      .split('\n')
      .find((l) => l.trim() !== '' && !l.startsWith('Command failed'))
      ?.trim() ?? hint;
  return new VirtnetError(
    code,
    `${hint}: \`ip ${command}\`${netns ? ` in ${netns}` : ''}: ${firstError}`,
    { program: 'ip', netns, command, line: lineNo, device, stderr },
    { cause: err },
  );
}
