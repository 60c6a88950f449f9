// `virtnet down NAME`: stops a VM `virtnet run` runs (src/launcher/stop-run.ts).
// `virtnet down --netns NS [--state-dir DIR]`: tears down every VM recorded for NS — undoes the
// recorded steps, removes the state files. Works after a crash of `up`; nothing
// recorded is success (idempotent). Exit 0 done, 1 failure.
import type { Command } from '@commander-js/extra-typings';
import { VirtnetError } from '../../errors/virtnet-error.js';
import { stopRun } from '../../launcher/stop-run.js';
import { parseNetnsRef } from '../../host/netns.js';
import { downNetns } from '../../launcher/netns-up.js';
import { resolveStateDir } from '../../state/state-dir.js';

/** Registers `down`. */
export function register(program: Command): void {
  program
    .command('down')
    .description(
      'stop VM NAME started by `virtnet run`, or tear down the VM networks recorded for the pod in NS',
    )
    .argument('[name]', 'a VM started by virtnet run')
    .option('--netns <ns>', 'pod network namespace (name or /path)')
    .option('--state-dir <dir>', 'state directory (default $VIRTNET_STATE_DIR or /var/lib/virtnet)')
    .action(async (name, opts) => {
      const stateDir = resolveStateDir(opts.stateDir);
      if ((name === undefined) === (opts.netns === undefined)) {
        throw new VirtnetError('USAGE_DOWN', 'give either a VM NAME or --netns NS', { field: 'name' });
      }
      if (name !== undefined) {
        const outcome = await stopRun(stateDir, name);
        process.stderr.write(
          outcome === 'not-running'
            ? `virtnet: ${name} is not running\n`
            : `virtnet: ${name} stopped, everything torn down\n`,
        );
        return;
      }
      const netns = opts.netns!;
      parseNetnsRef(netns);
      const names = await downNetns(stateDir, netns);
      process.stderr.write(
        names.length === 0
          ? `virtnet: nothing recorded for ${netns}\n`
          : `virtnet: tore down ${names.join(', ')} in ${netns}\n`,
      );
    });
}
