// Copying the delegating plugin from the node agent's image onto the node, as Multus' daemon copies its
// binary: the container runtime runs it on the host, where there may be no Node.js, or another one.
// The copy is self-contained: the Node binary with the shared libraries it loaded, started through
// its own dynamic loader (so the host's libraries never matter); virtnet's dist/ and package.json;
// the one package the plugin imports (yaml); the native addons every virtnet process loads.
//
// Each content gets a directory named by its digest, written aside and renamed into place, so an
// upgrade never changes files a running plugin reads. The previous copy is kept (a plugin started
// just before the switch still loads from it); older ones are removed.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { VirtnetError } from '../errors/virtnet-error.js';

/** Where a bundle's parts live, relative to the virtnet home they are copied from. */
const HOME_PARTS = ['package.json', 'dist', join('node_modules', 'yaml'), join('build', 'Release')];
const BUNDLE_PREFIX = 'virtnet-cni-';

/** What the shim runs. */
export interface CniBundle {
  /** The directory holding dist/, package.json, node_modules/ and build/. */
  home: string;
  node: string;
  /** The bundle's dynamic loader and library dir; absent for a static Node. */
  loader?: { path: string; libDir: string };
}

/**
 * The shared libraries a process has mapped (its /proc/<pid>/maps): what its binary needs, found by
 * the loader that ran it. Native addons (`.node`) are not libraries of the binary.
 */
export function mappedLibraries(maps: string): string[] {
  const out = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.trim().split(/\s+/)[5];
    if (path?.startsWith('/') && /\.so(\.\d+)*$/.test(path)) out.add(path);
  }
  return [...out];
}

/** The name the loader looks a library up by: `libstdc++.so.6.0.30` is found as `libstdc++.so.6`. */
export function sonameOf(file: string): string {
  const name = basename(file);
  return /^(.*?\.so\.\d+)/.exec(name)?.[1] ?? name;
}

const isLoader = (file: string) => /^ld-(linux|musl)/.test(basename(file));

/** Every file under `path` (or `path` itself), for the digest. */
function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => filesUnder(join(path, e.name)));
}

/**
 * A digest of what would be copied: paths, sizes and modification times (an image's files keep the
 * times it was built with, so a new image gives a new digest without reading 100 MB of Node).
 */
function bundleDigest(from: string, node: string, libraries: string[]): string {
  const h = createHash('sha256');
  const files = [node, ...libraries, ...HOME_PARTS.flatMap((p) => filesUnder(join(from, p)))];
  for (const f of files) {
    const s = statSync(f);
    h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/** Options of installCniBundle. */
export interface CniBundleOptions {
  /** The virtnet home to copy from (the image's /app). */
  from: string;
  /** The Node binary to copy (the running one). */
  node: string;
  /** The shared libraries of that binary (mappedLibraries of the running process). */
  libraries: string[];
  /** The host directory the bundles go under. */
  root: string;
  /** The bundle the installed shim runs now, kept beside the new one. */
  previous?: string;
}

/** Copies the plugin's bundle under `root` (unless that content is there already) and prunes old ones. */
export function installCniBundle(opts: CniBundleOptions): CniBundle {
  for (const p of HOME_PARTS)
    if (!existsSync(join(opts.from, p)))
      throw new VirtnetError('CNI_INSTALL_INVALID', `${join(opts.from, p)} is missing: not a virtnet home`, {
        field: 'home',
      });
  const dir = join(opts.root, `${BUNDLE_PREFIX}${bundleDigest(opts.from, opts.node, opts.libraries)}`);
  const loader = opts.libraries.find(isLoader);
  if (!existsSync(dir)) {
    mkdirSync(opts.root, { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    for (const p of HOME_PARTS) cpSync(join(opts.from, p), join(tmp, p), { recursive: true });
    copyFileSync(opts.node, join(tmp, 'node'));
    chmodSync(join(tmp, 'node'), 0o755);
    if (loader) {
      mkdirSync(join(tmp, 'lib'));
      for (const lib of opts.libraries) {
        copyFileSync(lib, join(tmp, 'lib', sonameOf(lib)));
        chmodSync(join(tmp, 'lib', sonameOf(lib)), 0o755);
      }
    }
    renameSync(tmp, dir);
  }
  for (const e of readdirSync(opts.root))
    if (e.startsWith(BUNDLE_PREFIX) && join(opts.root, e) !== dir && join(opts.root, e) !== opts.previous)
      rmSync(join(opts.root, e), { recursive: true, force: true });
  return {
    home: dir,
    node: join(dir, 'node'),
    ...(loader ? { loader: { path: join(dir, 'lib', sonameOf(loader)), libDir: join(dir, 'lib') } } : {}),
  };
}
