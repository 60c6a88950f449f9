// bench/validate: what validating costs a user.
// 1. In-process time to parse and validate a VM spec with 256 interfaces (and networks), median of N
//    runs (default 30, ≥ 20), against a peer measured in the same run: parsing the same text with `yaml`
//    alone (the floor any validator pays). Also an all-invalid variant (every interface with several
//    errors) since reporting positions is the costly path. Target: validating the parsed 256-NIC
//    document ≤ 50 ms median.
// 2. Scale: a spec of 40,000 interfaces and networks, validated (parsed document) ≤ 1 s median — the
//    work must grow linearly; parse time and the yaml-only peer are reported beside it.
// 3. End to end: `virtnet validate` of a 40,000-interface spec as a separate process (the built dist/),
//    YAML (block style, 4 MB) and JSON (3 MB), median of several runs, ≤ 1 s each; the peer is the
//    full `yaml` parse with positions of the same text in-process (what every run paid before specs
//    were read without it).
// 4. Start-up: `virtnet --version` and `virtnet validate -o json` of one file as separate processes
//    (the built dist/, `npm run build` first), median of several runs, ≤ 250 ms each; the peer is a bare
//    `node -e 0` in the same run.
// `pass` judges CPU time for the in-process figures and wall time for the processes (wall time and the
// load average are printed too: on a shared machine wall time mostly measures the other tenants).
// Run: `node --import tsx bench/validate.ts [runs]`. Prints one JSON document.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_CLUSTER_CONFIG, parseSpecDocuments, validateVmDocument } from '../src/api/index.js';
import { parseWithPositions } from '../src/api/parse-documents.js';
import { median } from './stats.js';

const runs = Math.max(20, Number(process.argv[2] ?? 30));
const NICS = 256;
const TARGET_MS = 50;
const SCALE_NICS = 40_000;
const SCALE_RUNS = 5;
const SCALE_TARGET_MS = 1000;
const E2E_RUNS = 5;
const STARTUP_RUNS = 9;
const STARTUP_TARGET_MS = 250;
const repo = join(import.meta.dirname, '..');

/** A realistic large spec: one masquerade pod NIC with ports, the rest bridge/SR-IOV on Multus networks. */
function bigSpec(invalid: boolean): string {
  const lines = [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachineInstance',
    'metadata:',
    '  name: big',
    'spec:',
    '  domain:',
    '    devices:',
    '      interfaces:',
  ];
  const nets = ['  networks:'];
  for (let i = 0; i < NICS; i++) {
    const name = i === 0 ? 'default' : `net${i}`;
    const hex = (i % 256).toString(16).padStart(2, '0');
    lines.push(`        - name: ${name}`);
    if (i === 0)
      lines.push(
        '          masquerade: {}',
        '          ports:',
        '            - {name: http, port: 80}',
        '            - {name: dns, port: 53, protocol: UDP}',
      );
    else lines.push(i % 4 === 0 ? '          sriov: {}' : '          bridge: {}');
    lines.push(
      invalid
        ? `          macAddress: zz:00:00:00:${hex}:00:11`
        : `          macAddress: 02:00:00:01:${hex}:${(i >> 8).toString(16).padStart(2, '0')}`,
    );
    lines.push(invalid ? `          model: virtio${i}` : '          model: virtio');
    lines.push(`          bootOrder: ${invalid ? 0 : i + 1}`);
    // The embedded machine has one PCI bus with slots 02-1f free: 30 slots × 8 functions.
    if (i > 0 && i <= 232)
      lines.push(
        `          pciAddress: "0000:00:${(2 + ((i - 1) >> 3)).toString(16).padStart(2, '0')}.${(i - 1) & 7}"`,
      );
    nets.push(`    - name: ${name}`);
    nets.push(
      i === 0 ? '      pod: {vmNetworkCIDR: 10.0.2.0/24}' : `      multus: {networkName: ns${i % 3}/net${i}}`,
    );
  }
  return [...lines, ...nets, ''].join('\n');
}

/** A spec of `n` bridge interfaces on Multus networks, one line each (the shape of a generated spec). */
function scaleSpec(n: number): string {
  const lines = [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachineInstance',
    'metadata: {name: scale}',
    'spec:',
    '  domain:',
    '    devices:',
    '      interfaces:',
  ];
  const nets = ['  networks:'];
  for (let i = 0; i < n; i++) {
    lines.push(`        - {name: net${i}, bridge: {}}`);
    nets.push(`    - {name: net${i}, multus: {networkName: net${i}}}`);
  }
  return [...lines, ...nets, ''].join('\n');
}

/** A VMI of `n` interfaces as a generator writes it: block-style YAML, and compact JSON. */
function generatedSpec(n: number): { yaml: string; json: string } {
  const interfaces = Array.from({ length: n }, (_, i) =>
    i === 0 ? { name: 'n0', masquerade: {} } : { name: `n${i}`, bridge: {} },
  );
  const networks = Array.from({ length: n }, (_, i) =>
    i === 0 ? { name: 'n0', pod: {} } : { name: `n${i}`, multus: { networkName: `net${i}` } },
  );
  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'big' },
    spec: { domain: { devices: { interfaces } }, networks },
  };
  const y = [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachineInstance',
    'metadata:',
    '  name: big',
    'spec:',
    '  domain:',
    '    devices:',
    '      interfaces:',
  ];
  for (const f of interfaces)
    y.push(`        - name: ${f.name}`, f.bridge ? '          bridge: {}' : '          masquerade: {}');
  y.push('  networks:');
  for (const net of networks)
    y.push(
      `    - name: ${net.name}`,
      net.multus ? `      multus:\n        networkName: ${net.multus.networkName}` : '      pod: {}',
    );
  return { yaml: `${y.join('\n')}\n`, json: JSON.stringify(vm) };
}

/** Wall-clock milliseconds of running `argv` with node, `count` times. */
function processTimes(argv: string[], count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, argv, { cwd: repo, encoding: 'utf8' });
    out.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return out;
}

/** Wall-clock and CPU milliseconds of `fn` over `runs` runs, after a warm-up (JIT, zod's compilation). */
function time(fn: () => void, count = runs, warmups = 5): { wall: number[]; cpu: number[] } {
  for (let i = 0; i < warmups; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < count; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

const stats = (t: { wall: number[]; cpu: number[] }) => ({
  wallMsP50: +median(t.wall).toFixed(3),
  cpuMsP50: +median(t.cpu).toFixed(3),
});

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
const parseAndValidate = stats(
  time(
    () =>
      void validateVmDocument(parseSpecDocuments(valid, 'big.yaml').documents[0]!, DEFAULT_CLUSTER_CONFIG),
  ),
);
const yamlOnly = stats(time(() => void parseAllDocuments(valid).map((d) => d.toJS() as unknown)));

// Scale: 40,000 interfaces.
const scaleText = scaleSpec(SCALE_NICS);
const scaleDoc = parseSpecDocuments(scaleText, 'scale.yaml').documents[0]!;
const scaleResult = validateVmDocument(scaleDoc, DEFAULT_CLUSTER_CONFIG);
const scaleValidate = stats(
  time(() => void validateVmDocument(scaleDoc, DEFAULT_CLUSTER_CONFIG), SCALE_RUNS, 1),
);
const scaleParse = stats(time(() => void parseSpecDocuments(scaleText, 'scale.yaml'), 3, 0));
const scaleYamlOnly = stats(
  time(() => void parseAllDocuments(scaleText).map((d) => d.toJS() as unknown), 3, 0),
);

// Start-up of the CLI, as separate processes.
const main = join(repo, 'dist', 'cli', 'main.js');
const exampleFile = join('examples', 'pod-masquerade-ports.yaml');
const nodeOnly = median(processTimes(['-e', '0'], STARTUP_RUNS));
const version = median(processTimes([main, '--version'], STARTUP_RUNS));
const validateOne = median(processTimes([main, 'validate', '-o', 'json', exampleFile], STARTUP_RUNS));

// End to end: `virtnet validate` of the 40,000-interface files, and the full yaml parse as the peer.
const e2eDir = mkdtempSync(join(tmpdir(), 'virtnet-bench-validate-'));
const generated = generatedSpec(SCALE_NICS);
const endToEnd: Record<
  string,
  { wallMsP50: number; peerFullYamlParse: { wallMsP50: number; cpuMsP50: number }; bytes: number }
> = {};
try {
  for (const kind of ['yaml', 'json'] as const) {
    const file = join(e2eDir, `big.${kind}`);
    writeFileSync(file, generated[kind]);
    const wall = median(processTimes([main, 'validate', file], E2E_RUNS));
    const peer = stats(time(() => void parseWithPositions(generated[kind], file), 3, 0));
    endToEnd[kind] = { wallMsP50: +wall.toFixed(1), peerFullYamlParse: peer, bytes: generated[kind].length };
  }
} finally {
  rmSync(e2eDir, { recursive: true, force: true });
}

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
  scale: {
    interfaces: SCALE_NICS,
    runs: SCALE_RUNS,
    valid: scaleResult.spec?.interfaces.length === SCALE_NICS,
    validate: scaleValidate,
    parse: scaleParse,
    peerYamlParseOnly: scaleYamlOnly,
    targetMs: SCALE_TARGET_MS,
  },
  endToEnd40k: { interfaces: SCALE_NICS, runs: E2E_RUNS, ...endToEnd, targetMs: SCALE_TARGET_MS },
  startup: {
    runs: STARTUP_RUNS,
    versionWallMsP50: +version.toFixed(1),
    validateOneFileWallMsP50: +validateOne.toFixed(1),
    peerNodeOnlyWallMsP50: +nodeOnly.toFixed(1),
    targetMs: STARTUP_TARGET_MS,
  },
  // Wall time on a shared machine mostly measures the other tenants; CPU time is what validation costs.
  loadAverage1m: +(loadavg()[0] ?? 0).toFixed(2),
  cpus: availableParallelism(),
  passWall: validate.wallMsP50 <= TARGET_MS && validateInvalid.wallMsP50 <= TARGET_MS,
  pass:
    validResult.spec?.interfaces.length === NICS &&
    validate.cpuMsP50 <= TARGET_MS &&
    validateInvalid.cpuMsP50 <= TARGET_MS &&
    scaleResult.spec?.interfaces.length === SCALE_NICS &&
    scaleValidate.cpuMsP50 <= SCALE_TARGET_MS &&
    Object.values(endToEnd).every((e) => e.wallMsP50 <= SCALE_TARGET_MS) &&
    version <= STARTUP_TARGET_MS &&
    validateOne <= STARTUP_TARGET_MS,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
if (!result.pass) process.exitCode = 1;
