// `virtnet gc [-o json]`: removes what VMs whose `virtnet run` process is gone left behind (QEMU, DHCP
// server, bindings, pod, state), and retries the CNI DEL of pods whose deletion failed before. Exit 1
// when something could not be removed (it stays recorded for the next gc).
import { Option, type Command } from '@commander-js/extra-typings';
import { collectGarbage } from '../../launcher/gc.js';
import { resolveStateDir } from '../../state/state-dir.js';

/** Registers `gc`. */
export function register(program: Command): void {
  program
    .command('gc')
    .description('clean up after VMs whose virtnet process is gone')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json'] as const)
        .default('text' as const),
    )
    .option('--state-dir <dir>', 'state directory (default $VIRTNET_STATE_DIR or /var/lib/virtnet)')
    .action(async (opts) => {
      const collected = await collectGarbage(resolveStateDir(opts.stateDir));
      if (opts.output === 'json') process.stdout.write(`${JSON.stringify(collected)}\n`);
      else if (collected.length === 0) process.stdout.write('nothing to collect\n');
      else
        for (const c of collected)
          process.stdout.write(
            `${c.vm !== undefined ? `collected ${c.vm} (pod ${c.pod}${c.killedQemu ? ', killed QEMU' : ''})` : `retried the deletion of pod ${c.pod}`}${c.errors.length ? `: ${c.errors.join('; ')}` : ''}\n`,
          );
      if (collected.some((c) => c.errors.length > 0)) process.exitCode = 1;
    });
}
