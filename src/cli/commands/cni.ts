// `virtnet cni add|check|del|version|status|gc`: runs a CNI network configuration against a network
// namespace, like cnitool but complete (capability args, CNI_ARGS, result cache, every error typed).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Option, type Command } from '@commander-js/extra-typings';
import { NetworkCatalog } from '../../cni/network-catalog.js';
import { parseNetworkConfig, type NetworkConfList } from '../../cni/net-conf.js';
import { encodeResult } from '../../cni/result.js';
import {
  addNetworkList,
  checkNetworkList,
  delNetworkList,
  findCachedAttachment,
  pluginVersionInfo,
  statusNetworkList,
  type CniRuntimeOptions,
  type RuntimeConf,
} from '../../cni/runtime.js';
import { isVirtnetError, VirtnetError } from '../../errors/virtnet-error.js';
import { netnsExists, netnsPath, parseNetnsRef } from '../../host/netns.js';
import { stateLayout, resolveStateDir } from '../../state/state-dir.js';
import { isLinuxInterfaceName } from '../../api/linux-ifname.js';

interface CommonOpts {
  netns: string;
  ifname: string;
  conf?: string;
  network?: string;
  confDir?: string;
  nad: string[];
  containerId?: string;
  args?: string;
  capabilityArgs?: string;
  cniPath?: string;
  pluginTimeoutMs?: string;
  stateDir?: string;
  output: 'text' | 'json';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function usage(message: string, field: string): VirtnetError {
  return new VirtnetError('USAGE_INVALID_OPTION', message, { field });
}

function loadList(o: CommonOpts, stateDir: string): NetworkConfList {
  if ((o.conf === undefined) === (o.network === undefined))
    throw usage('give exactly one of --conf FILE or --network NAME', 'conf');
  if (o.conf !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.conf, 'utf8');
    } catch (err) {
      throw new VirtnetError('USAGE_FILE_UNREADABLE', `cannot read ${o.conf}: ${(err as Error).message}`, {
        field: 'conf',
      });
    }
    return parseNetworkConfig(text, o.conf);
  }
  const c: ConstructorParameters<typeof NetworkCatalog>[0] = { stateDir, nadFiles: o.nad };
  if (o.confDir !== undefined) c.cniConfDir = o.confDir;
  return new NetworkCatalog(c).resolveByName(o.network!, 'default', 'network').list;
}

function runtimeOf(o: CommonOpts, requireNetns: boolean): RuntimeConf {
  const ns = parseNetnsRef(o.netns);
  if (!isLinuxInterfaceName(o.ifname))
    throw usage(`invalid interface name ${JSON.stringify(o.ifname)}`, 'ifname');
  // Checked up front: plugins would otherwise start creating host-side state (a bridge) before failing.
  // DEL is exempt: it must clean up after a namespace that is already gone.
  if (requireNetns && !netnsExists(ns))
    throw new VirtnetError('NETNS_NOT_FOUND', `network namespace ${o.netns} does not exist`, {
      field: 'netns',
    });
  const path = netnsPath(ns);
  // Without --container-id, ADD and DEL of the same namespace agree on one id (as cnitool does).
  const containerId =
    o.containerId ?? `virtnet-${createHash('sha256').update(path).digest('hex').slice(0, 32)}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(containerId))
    throw usage(`invalid container id ${JSON.stringify(containerId)}`, 'container-id');
  const rt: RuntimeConf = { containerId, netns: path, ifname: o.ifname };
  if (o.args !== undefined && o.args !== '') {
    rt.args = o.args.split(';').map((kv) => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw usage(`--args must be K=V;K=V, not ${JSON.stringify(o.args)}`, 'args');
      return [kv.slice(0, eq), kv.slice(eq + 1)] as [string, string];
    });
  }
  if (o.capabilityArgs !== undefined) {
    let caps: unknown;
    try {
      caps = JSON.parse(o.capabilityArgs);
    } catch {
      caps = undefined;
    }
    if (typeof caps !== 'object' || caps === null || Array.isArray(caps))
      throw usage(
        '--capability-args must be a JSON object, e.g. {"mac":"02:00:00:00:00:01"}',
        'capability-args',
      );
    rt.capabilityArgs = caps as Record<string, unknown>;
  }
  return rt;
}

function runtimeOptions(o: CommonOpts, stateDir: string): CniRuntimeOptions {
  const out: CniRuntimeOptions = { cacheDir: stateLayout(stateDir).cniResults };
  if (o.cniPath !== undefined) out.cniPath = o.cniPath.split(':').filter((p) => p !== '');
  if (o.pluginTimeoutMs !== undefined) {
    const n = Number(o.pluginTimeoutMs);
    if (!Number.isInteger(n) || n <= 0)
      throw usage('--plugin-timeout-ms must be a positive integer', 'plugin-timeout-ms');
    out.pluginTimeoutMs = n;
  }
  return out;
}

async function run(command: 'ADD' | 'CHECK' | 'DEL', o: CommonOpts): Promise<void> {
  const stateDir = resolveStateDir(o.stateDir);
  try {
    const rt = runtimeOf(o, command !== 'DEL');
    const opts = runtimeOptions(o, stateDir);
    if (command === 'ADD') {
      const list = loadList(o, stateDir);
      const result = await addNetworkList(list, rt, opts);
      process.stdout.write(`${JSON.stringify(encodeResult(result, list.cniVersion), null, 2)}\n`);
      return;
    }
    if (command === 'CHECK') {
      const list = loadList(o, stateDir);
      await checkNetworkList(list, rt, opts);
    } else {
      // DEL works from the cache alone when the configuration is gone (--conf/--network optional).
      const list =
        o.conf !== undefined || o.network !== undefined
          ? loadList(o, stateDir)
          : findCachedAttachment(opts, rt.containerId, rt.ifname)?.config;
      if (!list)
        throw usage(
          'no --conf/--network given and no cached attachment for this namespace and interface',
          'conf',
        );
      await delNetworkList(list, rt, opts);
    }
    if (o.output === 'json') process.stdout.write(`${JSON.stringify({ command, ok: true })}\n`);
  } catch (err) {
    if (o.output === 'json' && isVirtnetError(err))
      process.stdout.write(`${JSON.stringify({ command, ok: false, error: err.toJSON() }, null, 2)}\n`);
    throw err;
  }
}

/** Registers `cni`. */
export function register(program: Command): void {
  const cni = program
    .command('cni')
    .description('run CNI network configurations against a network namespace (like cnitool)');
  const verbs = [
    ['add', 'ADD', 'CNI ADD: attach and print the result'],
    ['check', 'CHECK', 'CNI CHECK against the cached result'],
    [
      'del',
      'DEL',
      'CNI DEL with the cached result (without --conf/--network, the cached configuration is used)',
    ],
  ] as const;
  for (const [verb, command, description] of verbs) {
    cni
      .command(verb)
      .description(description)
      .requiredOption('--netns <ns>', 'network namespace: a name under /var/run/netns or a path')
      .requiredOption('--ifname <if>', 'interface name inside the namespace')
      .option('--conf <file>', 'a .conf or .conflist file')
      .option('--network <name>', 'network name ([ns/]name) from the conf dir or NAD files')
      .option(
        '--conf-dir <dir>',
        'CNI configuration directory for --network (default: the configuration shipped with virtnet)',
      )
      .option(
        '--nad <file>',
        'NetworkAttachmentDefinition YAML file for --network (repeatable)',
        collect,
        [] as string[],
      )
      .option('--container-id <id>', 'CNI_CONTAINERID (default: derived from the namespace)')
      .option('--args <pairs>', 'CNI_ARGS, K=V;K=V')
      .option('--capability-args <json>', 'runtimeConfig values for declared capabilities (JSON object)')
      .option('--cni-path <path>', 'colon-separated plugin directories')
      .option('--plugin-timeout-ms <ms>', 'timeout of each plugin execution')
      .option('--state-dir <dir>', 'virtnet state directory (result cache)')
      .addOption(
        new Option('-o, --output <format>', 'output format')
          .choices(['text', 'json'] as const)
          .default('text' as const),
      )
      .action((o) => run(command, o));
  }

  cni
    .command('version')
    .description('CNI VERSION of a plugin')
    .argument('<plugin>', 'plugin type')
    .option('--cni-path <path>', 'colon-separated plugin directories')
    .option('--cni-version <v>', 'cniVersion to send', '1.0.0')
    .action(async (plugin, o) => {
      const info = await pluginVersionInfo(
        plugin,
        o.cniVersion,
        o.cniPath !== undefined ? { cniPath: o.cniPath.split(':') } : {},
      );
      process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    });

  cni
    .command('status')
    .description('CNI STATUS (1.1.0) of every plugin of a network')
    .option('--conf <file>', 'a .conf or .conflist file')
    .option('--network <name>', 'network name from the conf dir or NAD files')
    .option('--conf-dir <dir>', 'CNI configuration directory for --network')
    .option('--nad <file>', 'NetworkAttachmentDefinition YAML file (repeatable)', collect, [] as string[])
    .option('--cni-path <path>', 'colon-separated plugin directories')
    .option('--state-dir <dir>', 'virtnet state directory')
    .action(async (o) => {
      const stateDir = resolveStateDir(o.stateDir);
      const common = { ...o, netns: '', ifname: '', output: 'text' as const };
      const list = loadList(common, stateDir);
      await statusNetworkList(list, runtimeOptions(common, stateDir));
      process.stdout.write(`${list.name}: ready\n`);
    });
}
