// `virtnet up --netns NS [--state-dir DIR] [--phase network|dhcp] [--cluster-config FILE] FILE`.
// No phase: phase network (devices, record), then phase dhcp (DHCP servers) in the foreground until
// SIGINT/SIGTERM, which stops the servers and tears everything down. `--phase network` applies and
// exits (devices stay; `virtnet down` removes them). `--phase dhcp` reads the record only and serves
// in the foreground until a signal, which stops the servers and leaves the network in place.
// Prints `ready` on stdout once serving. Exit 0 ok, 1 failure (rolled back), 2 usage.
import { Option, type Command } from '@commander-js/extra-typings';
import { teardown } from '../../bindings/executor.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import { parseNetnsRef } from '../../host/netns.js';
import { startDhcpPhase, type DhcpPhaseServer } from '../../launcher/dhcp-phase.js';
import { runNetworkPhase } from '../../launcher/network-phase.js';
import { resolveStateDir } from '../../launcher/state-dir.js';
import { waitForSignal } from '../wait-for-signal.js';
import { loadSpecsReporting } from '../load-specs.js';

/** Resolves when any server process exits on its own (a crash), with its VM name. */
function anyServerExit(servers: DhcpPhaseServer[]): Promise<string> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      for (const s of servers) {
        try {
          process.kill(s.pid, 0);
        } catch {
          clearInterval(timer);
          resolve(s.vm);
        }
      }
    }, 500);
    timer.unref();
  });
}

/** Registers `up`. */
export function register(program: Command): void {
  program
    .command('up')
    .description('connect the VMs in FILE to the pod in NS (bridge/masquerade devices + DHCP), until SIGINT/SIGTERM')
    .requiredOption('--netns <ns>', 'pod network namespace (name or /path)')
    .option('--state-dir <dir>', 'state directory (default $VIRTNET_STATE_DIR or /var/lib/virtnet)')
    .addOption(new Option('--phase <phase>', 'run one half only: network (needs NET_ADMIN) or dhcp (reads the record)').choices(['network', 'dhcp'] as const))
    .option('--cluster-config <file>', 'cluster configuration')
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
        const vms = await runNetworkPhase({ specs: outcome.specs, cluster, netns: opts.netns, stateDir });
        for (const vm of vms) {
          const devices = vm.plan.interfaces.flatMap((i) => i.createdDevices);
          process.stderr.write(`virtnet: ${vm.resumed ? 'resumed' : 'set up'} ${vm.plan.vm.name} in ${opts.netns}${devices.length ? ` (${devices.join(', ')})` : ''}\n`);
        }
        if (opts.phase === 'network') return;
      }
      let servers: DhcpPhaseServer[] = [];
      try {
        servers = await startDhcpPhase(stateDir, names);
      } catch (err) {
        if (opts.phase === undefined) for (const n of names) await teardown(stateDir, n).catch(() => undefined);
        throw err;
      }
      process.stdout.write('ready\n');
      const outcomeOfWait = await Promise.race([signalled.then((sig) => ({ sig })), servers.length ? anyServerExit(servers).then((vm) => ({ crashed: vm })) : new Promise<never>(() => undefined)]);
      for (const s of servers) await s.stop();
      if (opts.phase === undefined) for (const n of names) await teardown(stateDir, n);
      if ('crashed' in outcomeOfWait) throw new VirtnetError('DHCP_SERVER_EXITED', `the DHCP server of ${outcomeOfWait.crashed} exited; network torn down`, { vm: outcomeOfWait.crashed });
    });
}
