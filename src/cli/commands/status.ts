// `virtnet status [-o json]`: the VMs `virtnet run` is running, with their pods and NICs (binding,
// pod interface, MAC, IPs, and what the guest reported). JSON: an array of run records.
import { Option, type Command } from '@commander-js/extra-typings';
import { listRunRecords, ownerAlive } from '../../launcher/run-record.js';
import { resolveStateDir } from '../../state/state-dir.js';
import { renderWiringTree } from '../../launcher/wiring-tree.js';

/** Registers `status`. */
export function register(program: Command): void {
  program
    .command('status')
    .description('list running VMs with their pods and NICs')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json'] as const)
        .default('text' as const),
    )
    .option('--state-dir <dir>', 'state directory (default $VIRTNET_STATE_DIR or /var/lib/virtnet)')
    .action((opts) => {
      const records = listRunRecords(resolveStateDir(opts.stateDir)).map((r) => ({
        ...r,
        stale: !ownerAlive(r),
      }));
      if (opts.output === 'json') {
        process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        return;
      }
      if (records.length === 0) process.stdout.write('no VMs running\n');
      for (const r of records) {
        process.stdout.write(
          `${r.vm}: ${r.stale ? 'STALE (owner gone; run virtnet gc)' : r.phase}${r.guestReady ? ', guest ready' : ''}, pid ${r.pid}${r.qemuPid ? `, qemu ${r.qemuPid}` : ''}\n`,
        );
        process.stdout.write(renderWiringTree(r));
      }
    });
}
