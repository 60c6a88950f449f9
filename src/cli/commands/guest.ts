// `virtnet guest build [--out DIR] [--force] [-o json]`: builds (or finds in its cache) the small
// Linux guest virtnet boots — a Debian kernel and a busybox initramfs — and prints where it is.
import { Option, type Command } from '@commander-js/extra-typings';
import { defaultGuestDir, ensureGuest } from '../../hypervisor/guest/build-guest.js';

/** Registers `guest` and its subcommands. */
export function register(program: Command): void {
  const guest = program
    .command('guest')
    .description('the test guest virtnet boots (Debian kernel + busybox initramfs)');
  guest
    .command('build')
    .description('build the guest from Debian packages into a cache directory (skipped when already built)')
    .option('--out <dir>', `output directory (default $VIRTNET_GUEST_DIR or ${defaultGuestDir()})`)
    .option('--force', 'rebuild even when the cache is current')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json'] as const)
        .default('text' as const),
    )
    .action(async (opts) => {
      const log = opts.output === 'text' ? (m: string) => process.stderr.write(`virtnet: ${m}\n`) : undefined;
      const image = await ensureGuest({ outDir: opts.out, force: opts.force ?? false, log });
      if (opts.output === 'json') {
        process.stdout.write(`${JSON.stringify(image, null, 2)}\n`);
      } else {
        process.stdout.write(
          `kernel ${image.kernelPath}\ninitrd ${image.initrdPath}\nkernel version ${image.kernelVersion}, ${image.modules.length} modules\n`,
        );
      }
    });
}
