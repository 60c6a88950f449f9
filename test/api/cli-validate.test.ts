// The CLI contract of `virtnet validate`, `defaults` and `crd`, run as a user runs them: the built
// binary (`npm run build` first), exit codes 0/1/2, compiler-style text, the JSON shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const repo = join(import.meta.dirname, '..', '..');
const main = join(repo, 'dist', 'cli', 'main.js');

function virtnet(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [main, ...args], {
    cwd: repo,
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'virtnet-cli-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
function write(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const BAD = `kind: VM
spec:
  domain:
    devices:
      interfaces:
        - name: default
          masquerade: {}
          macAddress: aa:bb:cc:dd:ee:ff:00:11
        - name: blue
          bridge: {}
  networks:
    - name: default
      pod: {}
`;

test('validate: every bundled example is valid (exit 0, no error lines)', () => {
  const examples = readdirSync(join(repo, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join('examples', f));
  assert.ok(examples.length >= 7);
  const r = virtnet(['validate', ...examples]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(
    lines.filter((l) => !l.includes(': warning: ') && !/: valid \(\d+ VMs?(, \d+ warnings?)?\)$/.test(l)),
    [],
    'only warnings and verdicts',
  );
  assert.equal(lines.filter((l) => l.includes(': valid (')).length, examples.length, 'one verdict per file');
  assert.equal(r.stderr, '');
});

test('validate: text mode prints errors, warnings and the verdict on stdout, in text order (as kubectl does)', () => {
  const file = write(
    'mixed.yaml',
    BAD.replace('          bridge: {}\n', '          bridge: {}\n          macAdress: 02:00:00:00:00:01\n'),
  );
  const r = virtnet(['validate', file]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, '');
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.slice(file.length));
  assert.deepEqual(lines, [
    ':8:23: spec.domain.devices.interfaces[0].macAddress: MAC address "aa:bb:cc:dd:ee:ff:00:11" is too long: a MAC has 6 octets',
    ':9:17: spec.domain.devices.interfaces[1].name: interface "blue" has no network of the same name in networks',
    ':11:22: spec.domain.devices.interfaces[1].macAdress: warning: macAdress is not a field here and is ignored; did you mean macAddress?',
    ': invalid (2 errors, 1 warning)',
  ]);
});

test('validate: text output is FILE:LINE:COL: FIELD: message, exit 1', () => {
  const file = write('bad.yaml', BAD);
  const r = virtnet(['validate', file]);
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines, [
    `${file}:8:23: spec.domain.devices.interfaces[0].macAddress: MAC address "aa:bb:cc:dd:ee:ff:00:11" is too long: a MAC has 6 octets`,
    `${file}:9:17: spec.domain.devices.interfaces[1].name: interface "blue" has no network of the same name in networks`,
    `${file}: invalid (2 errors)`,
  ]);
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
});

test('validate -o json: one object for one file, an array for several, the documented keys', () => {
  const bad = write('bad2.yaml', BAD);
  const one = virtnet(['validate', '-o', 'json', bad]);
  assert.equal(one.code, 1);
  const o = JSON.parse(one.stdout);
  assert.deepEqual(Object.keys(o as object), ['file', 'valid', 'errors', 'warnings']);
  assert.equal(o.file, bad);
  assert.equal(o.valid, false);
  assert.deepEqual(o.errors[0], {
    field: 'spec.domain.devices.interfaces[0].macAddress',
    code: 'MAC_TOO_LONG',
    message: 'MAC address "aa:bb:cc:dd:ee:ff:00:11" is too long: a MAC has 6 octets',
    line: 8,
    column: 23,
  });
  assert.equal(o.errors[1].code, 'INTERFACE_WITHOUT_NETWORK');
  const two = virtnet(['validate', '-o', 'json', 'examples/slirp.yaml', bad]);
  assert.equal(two.code, 1);
  const arr = JSON.parse(two.stdout);
  assert.ok(Array.isArray(arr) && arr.length === 2);
  assert.deepEqual([arr[0].valid, arr[1].valid], [true, false]);
});

test('validate: stdin with -, several documents per file', () => {
  const r = virtnet(['validate', '-o', 'json', '-'], `kind: VM\n---\n${BAD}`);
  assert.equal(r.code, 1);
  const o = JSON.parse(r.stdout);
  assert.equal(o.file, '-');
  assert.equal(o.errors[0].line, 10, 'line numbers count from the top of the file');
});

test('validate: usage errors and unreadable files exit 2', () => {
  assert.equal(virtnet(['validate', join(tmp, 'missing.yaml')]).code, 2);
  const json = virtnet(['validate', '-o', 'json', 'examples/slirp.yaml', join(tmp, 'missing.yaml')]);
  assert.equal(json.code, 2);
  const entries = JSON.parse(json.stdout);
  assert.deepEqual(
    [entries[0].valid, entries[1].valid, entries[1].errors[0].code],
    [true, false, 'FILE_UNREADABLE'],
  );
  assert.equal(virtnet(['validate', tmp]).code, 2, 'a directory');
  assert.equal(virtnet(['validate', '-o', 'xml', 'examples/slirp.yaml']).code, 2);
  assert.equal(virtnet(['validate']).code, 2);
  const badCluster = write('cluster.yaml', 'permitBridgeInterfaceOnPodNetwork: maybe\n');
  const r = virtnet(['validate', '--cluster-config', badCluster, 'examples/slirp.yaml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /permitBridgeInterfaceOnPodNetwork/);
});

test('validate --cluster-config: the kubevirt-config ConfigMap forbids bridge on the pod network', () => {
  const cm = 'test/fixtures/specs/seed004-kubevirt-config.yaml';
  const r = virtnet([
    'validate',
    '--cluster-config',
    cm,
    'examples/bridge-multus.yaml',
    'examples/pod-masquerade-ports.yaml',
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /bridge-multus\.yaml:\d+:\d+: spec\.template\.spec\.domain\.devices\.interfaces\[0\]\.bridge: /,
  );
  assert.equal(
    r.stdout
      .trim()
      .split('\n')
      .filter((l) => /: spec\./.test(l) && !l.includes(': warning: ')).length,
    1,
  );
});

test('validate: garbage input is an error with a position, not a crash', () => {
  const file = write('garbage.yaml', '\u0000\u0001{[}: ::\n\t- x');
  const r = virtnet(['validate', file]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /garbage\.yaml:\d+:\d+: /);
  assert.ok(!/internal error|\n\s+at /.test(r.stderr), r.stderr);
});

test('defaults: prints the defaulted document (model, protocol, default interface)', () => {
  const file = write('d.yaml', 'kind: VM\nmetadata: {name: d}\nspec:\n  domain:\n    cpu: {cores: 2}\n');
  const r = virtnet(['defaults', file]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(
    parse(virtnet(['defaults', '-o', 'yaml', file]).stdout),
    doc,
    'YAML output holds the same',
  );
  assert.deepEqual(doc.spec.domain.devices.interfaces, [{ name: 'default', bridge: {}, model: 'virtio' }]);
  assert.deepEqual(doc.spec.networks, [{ name: 'default', pod: {} }]);
  assert.deepEqual(doc.spec.domain.cpu, { cores: 2 }, 'other fields kept');
  const j = JSON.parse(virtnet(['defaults', '-o', 'json', 'examples/pod-masquerade-ports.yaml']).stdout);
  assert.deepEqual(j.spec.domain.devices.interfaces[0].ports[0], { name: 'http', protocol: 'TCP', port: 80 });
  const vm = JSON.parse(
    virtnet(['defaults', '--vm-spec', '-o', 'json', 'examples/sriov-masquerade.yaml']).stdout,
  );
  assert.equal(vm.interfaces[1].macAddress, 'de:ad:00:00:be:af');
  assert.equal(vm.vcpus, 2);
  assert.equal(virtnet(['defaults', write('bad3.yaml', BAD)]).code, 1);
});

/** Kubernetes structural-schema rules (the ones a hand-written schema usually breaks). */
function structuralViolations(
  node: unknown,
  path: string,
  out: string[],
  inValidationOnly = false,
): string[] {
  if (typeof node !== 'object' || node === null) return out;
  const s = node as Record<string, unknown>;
  if (
    !inValidationOnly &&
    s.type === undefined &&
    s['x-kubernetes-preserve-unknown-fields'] !== true &&
    s['x-kubernetes-int-or-string'] !== true
  )
    out.push(`${path}: no type`);
  if (s.additionalProperties !== undefined && s.properties !== undefined)
    out.push(`${path}: additionalProperties beside properties`);
  if (s.additionalProperties === false) out.push(`${path}: additionalProperties: false`);
  for (const k of ['anyOf', 'oneOf', 'allOf']) {
    for (const [i, sub] of ((s[k] as unknown[] | undefined) ?? []).entries()) {
      const subMap = sub as Record<string, unknown>;
      if (subMap.type !== undefined || subMap.properties !== undefined || subMap.items !== undefined)
        out.push(`${path}.${k}[${i}]: a union with its own types`);
      structuralViolations(sub, `${path}.${k}[${i}]`, out, true);
    }
  }
  for (const [k, v] of Object.entries((s.properties as Record<string, unknown> | undefined) ?? {}))
    structuralViolations(v, `${path}.${k}`, out);
  if (s.items !== undefined) structuralViolations(s.items, `${path}[]`, out);
  return out;
}

test('crd: a structural OpenAPI v3 schema of the network part', () => {
  const r = virtnet(['crd']);
  assert.equal(r.code, 0);
  const schema = JSON.parse(r.stdout);
  assert.deepEqual(structuralViolations(schema, 'schema', []), []);
  const iface = schema.properties.spec.properties.domain.properties.devices.properties.interfaces.items;
  assert.deepEqual(iface.properties.model.enum, [
    'virtio',
    'e1000',
    'e1000e',
    'igb',
    'ne2k_pci',
    'pcnet',
    'rtl8139',
  ]);
  assert.deepEqual(iface.properties.ports.items.properties.port, {
    type: 'integer',
    minimum: 1,
    maximum: 65535,
  });
  assert.ok(schema.properties.spec.properties.networks.items.oneOf.length === 3);
  const full = parse(virtnet(['crd', '--full', '-o', 'yaml']).stdout);
  assert.equal(full.kind, 'CustomResourceDefinition');
  assert.deepEqual(structuralViolations(full.spec.versions[0].schema.openAPIV3Schema, 'full', []), []);
});
