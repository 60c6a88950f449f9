// KubeVirt's `spec.domain.firmware.kernelBoot`: boot a kernel (and initrd) shipped in a container
// image instead of a disk. In a cluster the launcher pod copies the two files out of that image into
// a volume the launcher reads (KERNEL_BOOT_DIR); the launcher boots them with `kernelArgs`. Pure.
import { VirtnetError } from '../errors/virtnet-error.js';

/** Where the launcher pod copies the kernel-boot files, each under its own base name. */
export const KERNEL_BOOT_DIR = '/var/run/virtnet-boot';

/** The base name of a path (the file name the copy keeps). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** A VMI's kernel boot. */
export interface KernelBoot {
  /** The image holding the files. */
  image: string;
  kernelPath: string;
  initrdPath?: string;
  kernelArgs?: string;
  imagePullPolicy?: string;
}

const FIELD = 'spec.domain.firmware.kernelBoot';
type Raw = Record<string, unknown>;
const isMap = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function absolutePath(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v.startsWith('/') || v.split('/').includes('..'))
    throw new VirtnetError('KERNEL_BOOT_INVALID', `${field} must be an absolute path without ..`, { field });
  return v;
}

/** The kernel boot of a VMI spec (raw, as stored), or undefined when it has none. */
export function kernelBootOf(spec: unknown): KernelBoot | undefined {
  const domain = isMap(spec) ? spec.domain : undefined;
  const firmware = isMap(domain) ? domain.firmware : undefined;
  const kb = isMap(firmware) ? firmware.kernelBoot : undefined;
  if (kb === undefined) return undefined;
  if (!isMap(kb)) throw new VirtnetError('KERNEL_BOOT_INVALID', `${FIELD} must be a map`, { field: FIELD });
  const container = kb.container;
  if (!isMap(container) || typeof container.image !== 'string' || container.image === '')
    throw new VirtnetError('KERNEL_BOOT_INVALID', `${FIELD}.container.image is required`, {
      field: `${FIELD}.container.image`,
    });
  const kernelPath = absolutePath(container.kernelPath, `${FIELD}.container.kernelPath`);
  if (kernelPath === undefined)
    throw new VirtnetError('KERNEL_BOOT_INVALID', `${FIELD}.container.kernelPath is required`, {
      field: `${FIELD}.container.kernelPath`,
    });
  const initrdPath = absolutePath(container.initrdPath, `${FIELD}.container.initrdPath`);
  if (baseName(kernelPath) === '' || (initrdPath !== undefined && baseName(initrdPath) === ''))
    throw new VirtnetError('KERNEL_BOOT_INVALID', `${FIELD}.container: a path names a directory`, {
      field: `${FIELD}.container`,
    });
  // Both are copied into one directory under their base names.
  if (initrdPath !== undefined && baseName(initrdPath) === baseName(kernelPath))
    throw new VirtnetError(
      'KERNEL_BOOT_INVALID',
      `${FIELD}.container.initrdPath must not have the same file name as kernelPath`,
      { field: `${FIELD}.container.initrdPath` },
    );
  if (kb.kernelArgs !== undefined && typeof kb.kernelArgs !== 'string')
    throw new VirtnetError('KERNEL_BOOT_INVALID', `${FIELD}.kernelArgs must be a string`, {
      field: `${FIELD}.kernelArgs`,
    });
  return {
    image: container.image,
    kernelPath,
    ...(initrdPath !== undefined ? { initrdPath } : {}),
    ...(typeof kb.kernelArgs === 'string' ? { kernelArgs: kb.kernelArgs } : {}),
    ...(typeof container.imagePullPolicy === 'string' ? { imagePullPolicy: container.imagePullPolicy } : {}),
  };
}
