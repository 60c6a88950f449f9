// Loading virtnet's native addons (native/*.c, built into native/build by scripts/build-native.sh).
// Every addon is optional: callers fall back to the slower portable way when this returns null,
// and VIRTNET_NO_NATIVE=1 forces that (checked on every call, so tests can cover both ways).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const loaded = new Map<string, unknown>();

/** The addon `native/build/NAME.node`, or null when it is not built, not loadable or disabled. */
export function loadNativeAddon<T>(name: 'fast-spawn' | 'netns-switch' | 'udp-pktinfo'): T | null {
  if (process.env.VIRTNET_NO_NATIVE === '1' || process.platform !== 'linux') return null;
  if (!loaded.has(name)) {
    // src/exec and dist/exec are both two levels below the repository root.
    const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', `${name}.node`);
    let addon: unknown = null;
    try {
      addon = createRequire(import.meta.url)(file);
    } catch {
      addon = null;
    }
    loaded.set(name, addon);
  }
  return loaded.get(name) as T | null;
}
