// Loading virtnet's native addons (native/*.c, built by node-gyp into build/Release: binding.gyp,
// scripts/build-native.sh). They are part of the build, not optional: each is the one way its
// mechanism works (see the README's table for what each saves or why it is needed).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtnetError } from '../errors/virtnet-error.js';

export const NATIVE_ADDONS = ['fast-spawn', 'netns-switch', 'udp-pktinfo'] as const;
export type NativeAddonName = (typeof NATIVE_ADDONS)[number];

const loaded = new Map<NativeAddonName, unknown>();

/** Where the build puts `NAME.node`: src/exec and dist/exec are both two levels below the root. */
export function nativeAddonPath(name: NativeAddonName): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'Release', `${name}.node`);
}

/** The addon NAME; throws NATIVE_ADDON_MISSING when it is not built or cannot be loaded. */
export function loadNativeAddon<T>(name: NativeAddonName): T {
  let addon = loaded.get(name);
  if (addon === undefined) {
    const file = nativeAddonPath(name);
    try {
      addon = createRequire(import.meta.url)(file) as unknown;
    } catch (e) {
      throw new VirtnetError(
        'NATIVE_ADDON_MISSING',
        `the ${name} addon cannot be loaded from ${file} (build it: npm run build): ${String((e as Error).message).split('\n')[0]}`,
        { addon: name, path: file },
        { cause: e },
      );
    }
    loaded.set(name, addon);
  }
  return addon as T;
}

/** Loads every addon, so that a missing one stops a command at its start rather than midway. */
export function requireNativeAddons(): void {
  for (const name of NATIVE_ADDONS) loadNativeAddon(name);
}
