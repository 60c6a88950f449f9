// `virtnet plan --netns NS [-o text|json] [--cluster-config FILE] FILE`: discovers the pod and prints
// each VM's network plan without changing anything. JSON: the plan object (an array for several VMs).
// Exit 0 planned, 1 invalid spec or unplannable (issues with field paths on stderr), 2 usage.
import { Option, type Command } from '@commander-js/extra-typings';
import { isVirtnetError } from '../../errors/virtnet-error.js';
import { parseNetnsRef } from '../../host/netns.js';
import { planVms } from '../../launcher/network-phase.js';
import { podCniDns } from '../../launcher/pod-cni-dns.js';
import { resolveStateDir } from '../../state/state-dir.js';
import { formatPlanText } from '../../launcher/plan-text.js';
import { loadSpecsReporting } from '../load-specs.js';

/** Registers `plan`. */
export function register(program: Command): void {
  program
    .command('plan')
    .description('print the network plan of the VMs in FILE for the pod in NS (changes nothing)')
    .requiredOption('--netns <ns>', 'pod network namespace (name or /path)')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json'] as const)
        .default('text' as const),
    )
    .option('--cluster-config <file>', 'cluster configuration')
    .option('--resolv-conf <file>', "the pod's own resolv.conf (a pod a container runtime made)")
    .option(
      '--state-dir <dir>',
      'state directory the plan is for: DNS of pods virtnet created, paths of VM files (default $VIRTNET_STATE_DIR or /var/lib/virtnet)',
    )
    .argument('<file>', 'VM spec file (- for stdin)')
    .action(async (file, opts) => {
      parseNetnsRef(opts.netns);
      const loaded = await loadSpecsReporting(file, opts.clusterConfig);
      if (!loaded) return;
      const { cluster, outcome } = loaded;
      try {
        const stateDir = resolveStateDir(opts.stateDir);
        const cniDns = podCniDns(stateDir, opts.netns);
        const discover = {
          ...(cniDns ? { cniDns } : {}),
          ...(opts.resolvConf !== undefined ? { resolvConf: opts.resolvConf } : {}),
        };
        const plans = await planVms(outcome.specs, cluster, opts.netns, discover, { stateDir });
        if (opts.output === 'json')
          process.stdout.write(`${JSON.stringify(plans.length === 1 ? plans[0] : plans, null, 2)}\n`);
        else process.stdout.write(plans.map(formatPlanText).join('\n'));
      } catch (err) {
        if (isVirtnetError(err, 'PLAN_INVALID') && Array.isArray(err.detail.issues)) {
          for (const i of err.detail.issues as { field: string; message: string; code: string }[])
            process.stderr.write(`${file}: ${i.field}: ${i.message} [${i.code}]\n`);
          process.exitCode = 1;
          return;
        }
        throw err;
      }
    });
}
