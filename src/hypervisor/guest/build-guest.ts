// Builds the virtnet test guest from Debian packages only: the Debian kernel (linux-image-amd64's
// current ABI package), busybox-static, and dhcpcd-base + libc6 for DHCPv6, fetched with `apt-get download` and unpacked with
// `dpkg-deb -x` (nothing is installed). The initramfs holds busybox, the NIC drivers with their
// dependencies (order from `depmod` run on the unpacked tree) and the scripts under guest/.
// The result is cached in a directory and rebuilt only when missing or when the guest sources change.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { VirtnetError } from '../../errors/virtnet-error.js';
import { minimalEnv, runProgram } from '../../exec/run-program.js';
import { type CpioEntry, writeCpioNewc } from './cpio-newc.js';

/** Kernel modules the guest loads, by name; their dependencies are added automatically. */
export const GUEST_MODULES = [
  'virtio_pci', // the PCI transport virtio_net and virtio_blk sit on
  'virtio_net',
  'e1000',
  'e1000e',
  '8139cp',
  '8139too',
  'ne2k_pci',
  'pcnet32',
  'virtio_blk', // NoCloud seed disk
  'isofs',
  'button', // ACPI power button for system_powerdown
  'evdev',
] as const;

/** Bumped when the initramfs layout changes, so old caches rebuild. */
const LAYOUT_VERSION = 2;

/** What a built guest consists of. */
export interface GuestImage {
  dir: string;
  kernelPath: string;
  initrdPath: string;
  kernelVersion: string;
  /** Modules in load order (file names). */
  modules: string[];
}

interface Manifest {
  inputsHash: string;
  kernelVersion: string;
  kernelPackage: string;
  busyboxPackage: string;
  dhcpcdPackage: string;
  modules: string[];
  builtAt: string;
}

/** Options of a guest build. */
export interface GuestBuildOptions {
  /** Output (cache) directory; default defaultGuestDir(). */
  outDir?: string;
  /** Rebuild even when the cache is valid. */
  force?: boolean;
  /** Progress messages (default: silent). */
  log?: (message: string) => void;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where guest sources (init and scripts) live. */
export const GUEST_SOURCE_DIR = join(repoRoot, 'guest');

/** The default cache: $VIRTNET_GUEST_DIR, else <repo>/.cache/guest. */
export function defaultGuestDir(): string {
  return process.env.VIRTNET_GUEST_DIR ?? join(repoRoot, '.cache', 'guest');
}

const GUEST_FILES: { source: string; target: string; mode: number }[] = [
  { source: 'init', target: 'init', mode: 0o755 },
  { source: 'udhcpc.script', target: 'etc/virtnet/udhcpc.script', mode: 0o755 },
  { source: 'report-nic', target: 'etc/virtnet/report-nic', mode: 0o755 },
  { source: 'apply-static', target: 'etc/virtnet/apply-static', mode: 0o755 },
  { source: 'acpi-power-button', target: 'etc/acpi/PWRF/00000080', mode: 0o755 },
  { source: 'connect.cgi', target: 'www/cgi-bin/connect', mode: 0o755 },
];

function inputsHash(): string {
  const h = createHash('sha256');
  h.update(`layout ${LAYOUT_VERSION}\nmodules ${GUEST_MODULES.join(',')}\n`);
  for (const f of GUEST_FILES)
    h.update(`${f.target}\n`).update(readFileSync(join(GUEST_SOURCE_DIR, f.source)));
  return h.digest('hex');
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function imageOf(dir: string, m: Manifest): GuestImage {
  return {
    dir,
    kernelPath: join(dir, 'vmlinuz'),
    initrdPath: join(dir, 'initrd.img'),
    kernelVersion: m.kernelVersion,
    modules: m.modules,
  };
}

/** The cached guest in `dir` when it is complete and built from the current sources. */
export function cachedGuest(dir: string = defaultGuestDir()): GuestImage | undefined {
  const m = readManifest(dir);
  if (m === undefined || m.inputsHash !== inputsHash()) return undefined;
  const image = imageOf(dir, m);
  return existsSync(image.kernelPath) && existsSync(image.initrdPath) ? image : undefined;
}

/** Returns the cached guest, building it first when missing or stale. */
export async function ensureGuest(options: GuestBuildOptions = {}): Promise<GuestImage> {
  const dir = options.outDir ?? defaultGuestDir();
  if (!options.force) {
    const cached = cachedGuest(dir);
    if (cached) return cached;
  }
  return buildGuest({ ...options, outDir: dir });
}

const APT_TIMEOUT_MS = 300_000;
const aptEnv = minimalEnv({ DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' });

/** The versioned kernel package linux-image-amd64 currently depends on, e.g. linux-image-6.1.0-56-amd64. */
async function kernelPackageName(): Promise<string> {
  const { stdout } = await runProgram(['apt-cache', 'depends', 'linux-image-amd64'], {
    timeoutMs: 60_000,
    env: aptEnv,
  });
  const m = /Depends:\s*(linux-image-[0-9][^\s]*-amd64)\b/.exec(stdout);
  if (!m?.[1])
    throw new VirtnetError(
      'GUEST_NO_KERNEL',
      'apt-cache depends linux-image-amd64 names no versioned kernel package',
      { program: 'apt-cache' },
    );
  return m[1];
}

async function aptDownload(packages: string[], cwd: string): Promise<void> {
  try {
    await runProgram(['apt-get', 'download', ...packages], { timeoutMs: APT_TIMEOUT_MS, cwd, env: aptEnv });
  } catch {
    // A fresh machine may have no package lists yet (or stale ones naming removed versions).
    await runProgram(['apt-get', 'update', '-q'], { timeoutMs: APT_TIMEOUT_MS, env: aptEnv });
    await runProgram(['apt-get', 'download', ...packages], { timeoutMs: APT_TIMEOUT_MS, cwd, env: aptEnv });
  }
}

function findDeb(dir: string, pkg: string): string {
  const name = readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!name)
    throw new VirtnetError('GUEST_DOWNLOAD_FAILED', `apt-get download left no ${pkg} package`, {
      program: 'apt-get',
    });
  return join(dir, name);
}

const moduleName = (path: string): string =>
  (path.split('/').pop() ?? path).replace(/\.ko(\.(xz|zst|gz))?$/, '').replaceAll('-', '_');

/** Module files (relative to the modules dir) for `wanted` and their dependencies, dependencies first. */
export function moduleLoadOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, { file: string; deps: string[] }>();
  for (const line of modulesDep.split('\n')) {
    const [file, rest] = line.split(':');
    if (!file || rest === undefined) continue;
    deps.set(moduleName(file), { file, deps: rest.trim().split(/\s+/).filter(Boolean).map(moduleName) });
  }
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, from: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const entry = deps.get(name);
    if (!entry)
      throw new VirtnetError(
        'GUEST_MODULE_MISSING',
        `kernel module ${name} (needed by ${from}) is not in the kernel package`,
        { module: name },
      );
    // modules.dep lists the deepest dependency last; load from the end.
    for (const d of [...entry.deps].reverse()) visit(d, name);
    order.push(entry.file);
  };
  for (const w of wanted) visit(w.replaceAll('-', '_'), 'the guest');
  return order;
}

async function decompressedModule(path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFileSync(path);
  const tool = path.endsWith('.xz')
    ? ['xz', '-d', '-k', '-f', path]
    : path.endsWith('.zst')
      ? ['zstd', '-d', '-q', '-f', path]
      : ['gzip', '-d', '-k', '-f', path];
  await runProgram(tool, { timeoutMs: 60_000 });
  return readFileSync(path.replace(/\.(xz|zst|gz)$/, ''));
}

/** Builds the guest into `outDir` (replacing what is there) and returns it. */
export async function buildGuest(options: GuestBuildOptions = {}): Promise<GuestImage> {
  const outDir = options.outDir ?? defaultGuestDir();
  const log = options.log ?? (() => undefined);
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(outDir, '.build-'));
  try {
    const kernelPackage = await kernelPackageName();
    log(`downloading ${kernelPackage}, busybox-static, dhcpcd-base and libc6`);
    await aptDownload([kernelPackage, 'busybox-static', 'dhcpcd-base', 'libc6'], work);
    const kroot = join(work, 'kernel');
    const broot = join(work, 'busybox');
    const droot = join(work, 'dhcpcd');
    const croot = join(work, 'libc');
    await runProgram(['dpkg-deb', '-x', findDeb(work, kernelPackage), kroot], { timeoutMs: 120_000 });
    await runProgram(['dpkg-deb', '-x', findDeb(work, 'busybox-static'), broot], { timeoutMs: 60_000 });
    await runProgram(['dpkg-deb', '-x', findDeb(work, 'dhcpcd-base'), droot], { timeoutMs: 60_000 });
    await runProgram(['dpkg-deb', '-x', findDeb(work, 'libc6'), croot], { timeoutMs: 60_000 });
    const kernelVersion = readdirSync(join(kroot, 'lib', 'modules'))[0];
    if (!kernelVersion)
      throw new VirtnetError('GUEST_NO_KERNEL', `${kernelPackage} contains no modules directory`, {});
    log(`computing module dependencies for ${kernelVersion}`);
    await runProgram(['depmod', '-b', kroot, kernelVersion], { timeoutMs: 120_000 });
    const modDir = join(kroot, 'lib', 'modules', kernelVersion);
    const order = moduleLoadOrder(readFileSync(join(modDir, 'modules.dep'), 'utf8'), GUEST_MODULES);

    const dirs = [
      'bin',
      'dev',
      'etc',
      'etc/virtnet',
      'etc/acpi',
      'etc/acpi/PWRF',
      'lib',
      'lib/modules',
      'lib/x86_64-linux-gnu',
      'lib64',
      'proc',
      'sys',
      'run',
      'tmp',
      'var',
      'var/lib',
      'var/lib/dhcpcd',
      'www',
      'www/cgi-bin',
      'sbin',
      'usr',
      'usr/sbin',
    ];
    const entries: CpioEntry[] = dirs.map((path) => ({ kind: 'dir' as const, path }));
    // DHCPv6 (busybox-static has no udhcpc6): dhcpcd, which needs only the C library.
    const libDir = join(croot, 'lib', 'x86_64-linux-gnu');
    entries.push({
      kind: 'file',
      path: 'usr/sbin/dhcpcd',
      data: readFileSync(join(droot, 'usr', 'sbin', 'dhcpcd')),
      mode: 0o755,
    });
    entries.push({
      kind: 'file',
      path: 'lib/x86_64-linux-gnu/libc.so.6',
      data: readFileSync(join(libDir, 'libc.so.6')),
      mode: 0o755,
    });
    entries.push({
      kind: 'file',
      path: 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      data: readFileSync(join(libDir, 'ld-linux-x86-64.so.2')),
      mode: 0o755,
    });
    entries.push({
      kind: 'symlink',
      path: 'lib64/ld-linux-x86-64.so.2',
      target: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    });
    entries.push({
      kind: 'file',
      path: 'etc/passwd',
      data: Buffer.from('root:x:0:0:root:/:/bin/sh\ndhcpcd:x:100:65534::/run/dhcpcd:/bin/false\n'),
    });
    entries.push({ kind: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nnogroup:x:65534:\n') });
    entries.push({ kind: 'chardev', path: 'dev/console', major: 5, minor: 1 });
    entries.push({
      kind: 'file',
      path: 'bin/busybox',
      data: readFileSync(join(broot, 'bin', 'busybox')),
      mode: 0o755,
    });
    entries.push({ kind: 'symlink', path: 'bin/sh', target: 'busybox' });
    const loadList: string[] = [];
    for (const rel of order) {
      const file = `${moduleName(rel)}.ko`;
      entries.push({
        kind: 'file',
        path: `lib/modules/${file}`,
        data: await decompressedModule(join(modDir, rel)),
      });
      loadList.push(file);
    }
    entries.push({
      kind: 'file',
      path: 'etc/virtnet/modules.load',
      data: Buffer.from(`${loadList.join('\n')}\n`),
    });
    for (const f of GUEST_FILES)
      entries.push({
        kind: 'file',
        path: f.target,
        data: readFileSync(join(GUEST_SOURCE_DIR, f.source)),
        mode: f.mode,
      });

    const initrd = gzipSync(writeCpioNewc(entries), { level: 6 });
    const vmlinuz = join(kroot, 'boot', `vmlinuz-${kernelVersion}`);
    writeFileSync(join(work, 'initrd.img'), initrd);
    copyFileSync(vmlinuz, join(work, 'vmlinuz'));
    // Replace atomically enough: files first, the manifest (the cache's validity mark) last.
    rmSync(join(outDir, 'manifest.json'), { force: true });
    renameSync(join(work, 'initrd.img'), join(outDir, 'initrd.img'));
    renameSync(join(work, 'vmlinuz'), join(outDir, 'vmlinuz'));
    const manifest: Manifest = {
      inputsHash: inputsHash(),
      kernelVersion,
      kernelPackage,
      busyboxPackage: relative(work, findDeb(work, 'busybox-static')),
      dhcpcdPackage: relative(work, findDeb(work, 'dhcpcd-base')),
      modules: loadList,
      builtAt: new Date().toISOString(),
    };
    writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    log(`guest built in ${outDir} (initrd ${Math.round(initrd.length / 1024)} KiB)`);
    return imageOf(outDir, manifest);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
