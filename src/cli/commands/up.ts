// `virtnet up --netns NS [--state-dir DIR] [--phase network|dhcp] [--cluster-config FILE] FILE`.
// No phase: phase network (devices, record), then phase dhcp (DHCP served from this process) in the
// foreground until SIGINT/SIGTERM, which stops serving and tears everything down. `--phase network` applies and
// exits (devices stay; `virtnet down` removes them). `--phase dhcp` reads the record only and serves
// in the foreground until a signal, which stops serving and leaves the network in place; it needs
// only CAP_NET_BIND_SERVICE when started inside the pod's namespace (`ip netns exec NS setpriv ...`).
// SIGHUP re-reads the leases.
// Prints `ready` on stdout once serving. Exit 0 ok, 1 failure (rolled back), 2 usage.
import { Option, type Command } from '@commander-js/extra-typings';
import { VirtnetError } from '../../errors/virtnet-error.js';
import { parseNetnsRef } from '../../host/netns.js';
import { runNetworkPhase } from '../../launcher/network-phase.js';
import { serveNetns } from '../../launcher/netns-up.js';
import { resolveStateDir } from '../../state/state-dir.js';
import { waitForSignal } from '../wait-for-signal.js';
import { loadSpecsReporting } from '../load-specs.js';

/** Registers `up`. */
export function register(program: Command): void {
  program
    .command('up')
    .description(
      'connect the VMs in FILE to the pod in NS (bridge/masquerade devices + DHCP), until SIGINT/SIGTERM',
    )
    .requiredOption('--netns <ns>', 'pod network namespace (name or /path)')
    .option('--state-dir <dir>', 'state directory (default $VIRTNET_STATE_DIR or /var/lib/virtnet)')
    .addOption(
      new Option(
        '--phase <phase>',
        'run one half only: network (needs NET_ADMIN) or dhcp (reads the record)',
      ).choices(['network', 'dhcp'] as const),
    )
    .option('--cluster-config <file>', 'cluster configuration')
    .option('--resolv-conf <file>', "the pod's own resolv.conf (a pod a container runtime made)")
    .argument('<file>', 'VM spec file (- for stdin)')
    .action(async (file, opts) => {
      parseNetnsRef(opts.netns);
      const stateDir = resolveStateDir(opts.stateDir);
      const loaded = await loadSpecsReporting(file, opts.clusterConfig);
      if (!loaded) return;
      const { cluster, outcome } = loaded;
      if (outcome.specs.length === 0) throw new VirtnetError('SPEC_INVALID', `${file} holds no VM`, { file });
      const names = outcome.specs.map((s) => s.name);
      // Signals during setup must not kill us half-way: remember them and tear down afterwards.
      const signalled = waitForSignal();
      if (opts.phase !== 'dhcp') {
        const vms = await runNetworkPhase({
          specs: outcome.specs,
          cluster,
          netns: opts.netns,
          stateDir,
          ...(opts.resolvConf !== undefined ? { discover: { resolvConf: opts.resolvConf } } : {}),
        });
        for (const vm of vms) {
          const devices = vm.plan.interfaces.flatMap((i) => i.createdDevices);
          process.stderr.write(
            `virtnet: ${vm.resumed ? 'resumed' : 'set up'} ${vm.plan.vm.name} in ${opts.netns}${devices.length ? ` (${devices.join(', ')})` : ''}\n`,
          );
        }
        if (opts.phase === 'network') return;
      }
      const service = await serveNetns(stateDir, names, opts.phase);
      const reload = (): void =>
        service.reload((vm, err) =>
          process.stderr.write(
            `virtnet: ${vm}: DHCP config not reloaded: ${err instanceof Error ? err.message : String(err)}\n`,
          ),
        );
      process.on('SIGHUP', reload);
      process.stdout.write('ready\n');
      await signalled;
      process.off('SIGHUP', reload);
      await service.stop();
    });
}
