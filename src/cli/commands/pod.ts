// `virtnet pod create|delete|list|show`: embedded pods (a named netns + CNI attachments) the way
// kubelet + Multus/Genie would make them, without Kubernetes.
import { Option, type Command } from '@commander-js/extra-typings';
import {
  createPod,
  deletePod,
  listPods,
  readPod,
  type CreatePodOptions,
  type PodState,
} from '../../cni/pod.js';
import { VirtnetError } from '../../errors/virtnet-error.js';
import { resolveStateDir } from '../../state/state-dir.js';
import { reportFatal } from '../report-fatal.js';
import { CNI_PATH_HELP, cniPathOption, parsePluginTimeout, PLUGIN_TIMEOUT_HELP } from '../cni-options.js';

/** The JSON shape of a pod for `-o json`. */
export function podJson(p: PodState): Record<string, unknown> {
  return {
    name: p.name,
    namespace: p.namespace,
    netns: p.netns,
    netnsPath: p.netnsPath,
    containerId: p.containerId,
    status: p.status,
    createdAt: p.createdAt,
    annotations: p.annotations,
    networkStatus: p.networkStatus,
    attachments: p.attachments.map((a) => ({
      name: a.name,
      source: a.source,
      ifname: a.ifname,
      default: a.default,
      state: a.state,
      resourceName: a.resourceName ?? null,
      cniVersion: a.list.cniVersion,
      plugins: a.list.plugins.map((x) => x.type),
      result: a.result ?? null,
    })),
  };
}

function podLines(p: PodState): string {
  const nets = p.networkStatus.map(
    (s) =>
      `  ${s.interface ?? '?'}\t${s.name}\t${(s.ips ?? []).join(',') || '-'}\t${s.mac ?? '-'}${s.default ? '\tdefault' : ''}`,
  );
  return `${p.name}\t${p.status}\tnetns ${p.netns}\n${nets.join('\n')}${nets.length ? '\n' : ''}`;
}

const outputOption = () =>
  new Option('-o, --output <format>', 'output format')
    .choices(['text', 'json'] as const)
    .default('text' as const);

/** Registers `pod`. */
export function register(program: Command): void {
  const pod = program
    .command('pod')
    .description('embedded pods: a network namespace with CNI networks (kubelet + Multus/Genie semantics)');

  pod
    .command('create')
    .description('create a pod: namespace, default network on eth0, then each secondary network')
    .argument('<name>', 'pod name (DNS label; also the network namespace name)')
    .option(
      '--cni-conf-dir <dir>',
      'CNI configuration directory (default: the configuration shipped with virtnet)',
    )
    .option('--nad <files...>', 'NetworkAttachmentDefinition YAML files')
    .option('--networks <annotation>', 'Multus k8s.v1.cni.cncf.io/networks annotation (short or JSON form)')
    .option('--default-network <name>', 'Multus v1.multus-cni.io/default-network override ([ns/]name)')
    .option('--genie <list>', 'CNI-Genie cni annotation, e.g. "flannel,ovs"')
    .option('--namespace <ns>', 'Kubernetes namespace of the pod (NAD lookups, CNI_ARGS)', 'default')
    .option('--cni-path <path>', CNI_PATH_HELP)
    .option('--plugin-timeout-ms <ms>', PLUGIN_TIMEOUT_HELP, parsePluginTimeout)
    .option('--state-dir <dir>', 'virtnet state directory')
    .addOption(outputOption())
    .action(async (name, o) => {
      const opts: CreatePodOptions = { name, stateDir: resolveStateDir(o.stateDir), namespace: o.namespace };
      if (o.cniConfDir !== undefined) opts.cniConfDir = o.cniConfDir;
      if (o.nad && o.nad.length > 0) opts.nadFiles = o.nad;
      if (o.networks !== undefined) opts.networks = o.networks;
      if (o.defaultNetwork !== undefined) opts.defaultNetwork = o.defaultNetwork;
      if (o.genie !== undefined) opts.genie = o.genie;
      const cniPath = cniPathOption(o.cniPath);
      if (cniPath) opts.cniPath = cniPath;
      if (o.pluginTimeoutMs !== undefined) opts.pluginTimeoutMs = o.pluginTimeoutMs;
      const p = await createPod(opts);
      process.stdout.write(o.output === 'json' ? `${JSON.stringify(podJson(p), null, 2)}\n` : podLines(p));
    });

  pod
    .command('delete')
    .description(
      'delete a pod: CNI DEL for every network in reverse order, then the namespace (idempotent; retries a failed earlier deletion)',
    )
    .argument('<names...>', 'pod names')
    .option(
      '--force',
      'remove namespace and state even when a plugin DEL fails (still reported, exit 1; its cached result is dropped too)',
    )
    .option(
      '--cni-path <path>',
      'colon-separated plugin directories (default: the ones the pod was created with)',
    )
    .option('--state-dir <dir>', 'virtnet state directory')
    .action(async (names, o) => {
      const cniPath = cniPathOption(o.cniPath);
      // Every pod is tried, each failure said as it happens; any failure makes the exit status 1.
      for (const name of names) {
        try {
          await deletePod(name, resolveStateDir(o.stateDir), {
            force: o.force === true,
            ...(cniPath ? { cniPath } : {}),
          });
        } catch (err) {
          process.exitCode = reportFatal(err);
        }
      }
    });

  pod
    .command('list')
    .description('list pods')
    .option('--state-dir <dir>', 'virtnet state directory')
    .addOption(outputOption())
    .action((o) => {
      const pods = listPods(resolveStateDir(o.stateDir));
      if (o.output === 'json') process.stdout.write(`${JSON.stringify(pods.map(podJson), null, 2)}\n`);
      else for (const p of pods) process.stdout.write(podLines(p));
    });

  pod
    .command('show')
    .description('show one pod with its network-status')
    .argument('<name>', 'pod name')
    .option('--state-dir <dir>', 'virtnet state directory')
    .addOption(outputOption())
    .action((name, o) => {
      const p = readPod(name, resolveStateDir(o.stateDir));
      if (!p) throw new VirtnetError('POD_NOT_FOUND', `pod ${name} does not exist`, { field: 'name' });
      process.stdout.write(o.output === 'json' ? `${JSON.stringify(podJson(p), null, 2)}\n` : podLines(p));
    });
}
