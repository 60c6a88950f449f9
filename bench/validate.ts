// bench/validate: in-process time to parse and validate a VM spec with 256 interfaces (and networks),
// median of N runs (default 30, ≥ 20), against a peer measured in the same run: parsing the same text
// with `yaml` alone (the floor any validator pays). Also an all-invalid variant (every interface with
// several errors) since reporting positions is the costly path. Target (issue 2): validating the parsed
// 256-NIC document ≤ 50 ms median; `pass` judges CPU time (wall time is printed too, with the load
// average, since on a shared machine it mostly measures the other tenants). The end-to-end figure
// (YAML parse included) is reported beside it.
// Run: `node --import tsx bench/validate.ts [runs]`. Prints one JSON document.
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_CLUSTER_CONFIG, parseSpecDocuments, validateVmDocument } from '../src/api/index.js';

const runs = Math.max(20, Number(process.argv[2] ?? 30));
const NICS = 256;
const TARGET_MS = 50;

/** A realistic large spec: one masquerade pod NIC with ports, the rest bridge/SR-IOV on Multus networks. */
function bigSpec(invalid: boolean): string {
  const lines = ['apiVersion: kubevirt.io/v1', 'kind: VirtualMachineInstance', 'metadata:', '  name: big', 'spec:', '  domain:', '    devices:', '      interfaces:'];
  const nets = ['  networks:'];
  for (let i = 0; i < NICS; i++) {
    const name = i === 0 ? 'default' : `net${i}`;
    const hex = (i % 256).toString(16).padStart(2, '0');
    lines.push(`        - name: ${name}`);
    if (i === 0) lines.push('          masquerade: {}', '          ports:', '            - {name: http, port: 80}', '            - {name: dns, port: 53, protocol: UDP}');
    else lines.push(i % 4 === 0 ? '          sriov: {}' : '          bridge: {}');
    lines.push(invalid ? `          macAddress: zz:00:00:00:${hex}:00:11` : `          macAddress: 02:00:00:01:${hex}:${(i >> 8).toString(16).padStart(2, "0")}`);
    lines.push(invalid ? `          model: virtio${i}` : '          model: virtio');
    lines.push(`          bootOrder: ${invalid ? 0 : i + 1}`);
    if (i > 0) lines.push(`          pciAddress: "0000:${(1 + (i >> 5)).toString(16).padStart(2, '0')}:${(i & 31).toString(16).padStart(2, '0')}.0"`);
    nets.push(`    - name: ${name}`);
    nets.push(i === 0 ? '      pod: {vmNetworkCIDR: 10.0.2.0/24}' : `      multus: {networkName: ns${i % 3}/net${i}}`);
  }
  return [...lines, ...nets, ''].join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall-clock and CPU milliseconds of `fn` over `runs` runs, after a warm-up (JIT, zod's compilation). */
function time(fn: () => void): { wall: number[]; cpu: number[] } {
  for (let i = 0; i < 5; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

const stats = (t: { wall: number[]; cpu: number[] }) => ({ wallMsP50: +median(t.wall).toFixed(3), cpuMsP50: +median(t.cpu).toFixed(3) });

const valid = bigSpec(false);
const invalid = bigSpec(true);
const validDoc = parseSpecDocuments(valid, 'big.yaml').documents[0]!;
const invalidDoc = parseSpecDocuments(invalid, 'bad.yaml').documents[0]!;
const validResult = validateVmDocument(validDoc, DEFAULT_CLUSTER_CONFIG);
const invalidResult = validateVmDocument(invalidDoc, DEFAULT_CLUSTER_CONFIG);

// What the target is about: validating a parsed 256-NIC document (valid, and with ~4 errors per NIC).
const validate = stats(time(() => void validateVmDocument(validDoc, DEFAULT_CLUSTER_CONFIG)));
const validateInvalid = stats(time(() => void validateVmDocument(invalidDoc, DEFAULT_CLUSTER_CONFIG)));
// End to end in-process (text → issues) and its peer: the YAML parse alone, in the same run.
const parseAndValidate = stats(time(() => void validateVmDocument(parseSpecDocuments(valid, 'big.yaml').documents[0]!, DEFAULT_CLUSTER_CONFIG)));
const yamlOnly = stats(time(() => void parseAllDocuments(valid).map((d) => d.toJS() as unknown)));

const result = {
  bench: 'validate',
  interfaces: NICS,
  runs,
  validSpecNics: validResult.spec?.interfaces.length ?? 0,
  invalidSpecErrors: invalidResult.errors.length,
  validate,
  validateAllInvalid: validateInvalid,
  parseAndValidate,
  peerYamlParseOnly: yamlOnly,
  parseAndValidateToYamlRatio: +(parseAndValidate.wallMsP50 / yamlOnly.wallMsP50).toFixed(2),
  targetMs: TARGET_MS,
  // Wall time on a shared machine mostly measures the other tenants; CPU time is what validation costs.
  loadAverage1m: +(loadavg()[0] ?? 0).toFixed(2),
  cpus: availableParallelism(),
  passWall: validate.wallMsP50 <= TARGET_MS && validateInvalid.wallMsP50 <= TARGET_MS,
  pass: validResult.spec?.interfaces.length === NICS && validate.cpuMsP50 <= TARGET_MS && validateInvalid.cpuMsP50 <= TARGET_MS,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
if (!result.pass) process.exitCode = 1;
