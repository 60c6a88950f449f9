// `virtnet run FILE`: the main job on one machine — a pod from CNI, every binding, DHCP, a QEMU VM —
// in the foreground. Prints the wiring tree (or, with -o json, one status object once the guest has
// reported, as a single line); SIGINT/SIGTERM tears everything down and exits 0 — during setup too: the
// running CNI plugin is killed, what was created is undone, QEMU is never started. If QEMU dies the
// same teardown runs and the exit status is 1; so is it when something could not be torn down (a CNI
// DEL that failed: named, and kept for `virtnet gc` to retry).
import { Option, type Command } from '@commander-js/extra-typings';
import { isVirtnetError, VirtnetError } from '../../errors/virtnet-error.js';
import { startVmRun, type VmRun } from '../../launcher/run-vm.js';
import { resolveStateDir } from '../../state/state-dir.js';
import { renderWiringTree } from '../../launcher/wiring-tree.js';
import { waitForSignal } from '../wait-for-signal.js';
import { loadSpecsReporting } from '../load-specs.js';
import { CNI_PATH_HELP, cniPathOption, parsePluginTimeout, PLUGIN_TIMEOUT_HELP } from '../cni-options.js';

function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new VirtnetError(
        'USAGE_INVALID_OPTION',
        `${name} must be a positive integer, not ${JSON.stringify(value)}`,
        { field: name },
      );
    return n;
  };
}

/** Resolves once the guest reported every NIC and READY, or after `timeoutMs` (whatever came first). */
async function guestReadyOrTimeout(run: VmRun, timeoutMs: number): Promise<void> {
  await run.vm.waitFor((e): e is typeof e => e.kind === 'ready', timeoutMs).catch(() => undefined);
}

/** Registers `run`. */
export function register(program: Command): void {
  program
    .command('run')
    .description(
      'create a pod through CNI, wire the VM in FILE to it, boot it under QEMU; SIGINT/SIGTERM tears all down',
    )
    .argument('<file>', 'VM spec file with one VM (- for stdin)')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json'] as const)
        .default('text' as const),
    )
    .option('--state-dir <dir>', 'state directory (default $VIRTNET_STATE_DIR or /var/lib/virtnet)')
    .option('--cluster-config <file>', 'cluster configuration (plain object or kubevirt-config ConfigMap)')
    .option(
      '--cni-conf-dir <dir>',
      "CNI configuration directory for the default network (default: virtnet's shipped conflist)",
    )
    .option('--nad <file...>', 'NetworkAttachmentDefinition files for Multus networks')
    .option('--cni-path <path>', CNI_PATH_HELP)
    .option('--plugin-timeout-ms <ms>', PLUGIN_TIMEOUT_HELP, parsePluginTimeout)
    .option('--pod <name>', 'pod (and network namespace) name (default virt-launcher-<vm>)')
    .addOption(
      new Option('--accel <accel>', 'QEMU accelerator')
        .choices(['auto', 'kvm', 'tcg'] as const)
        .default('auto' as const),
    )
    .option('--serial-log <file>', 'keep the guest console in this file')
    .option('--disk <image>', 'boot this disk image (qcow2 or raw) instead of the virtnet guest')
    .addOption(
      new Option('--disk-format <format>', 'format of --disk')
        .choices(['qcow2', 'raw'] as const)
        .default('qcow2' as const),
    )
    .option('--kernel <file>', 'boot this kernel (with --initrd) instead of the virtnet guest')
    .option('--initrd <file>', 'initrd for --kernel')
    .option('--cmdline <args>', 'kernel command line for --kernel')
    .option('--memory <MiB>', 'guest memory in MiB (default: the spec, else 256)', positiveInt('--memory'))
    .option(
      '--ready-timeout <seconds>',
      'with -o json, print the status at the latest after this long',
      positiveInt('--ready-timeout'),
      180,
    )
    .action(async (file, opts) => {
      if ((opts.kernel === undefined) !== (opts.initrd === undefined))
        throw new VirtnetError('USAGE_KERNEL_INITRD', '--kernel and --initrd go together', {
          field: '--kernel',
        });
      if (opts.disk !== undefined && opts.kernel !== undefined)
        throw new VirtnetError('USAGE_BOOT_SOURCE', '--disk and --kernel exclude each other', {
          field: '--disk',
        });
      const stateDir = resolveStateDir(opts.stateDir);
      const loaded = await loadSpecsReporting(file, opts.clusterConfig, opts.stateDir);
      if (!loaded) return;
      const { cluster, outcome } = loaded;
      const spec = outcome.specs[0];
      if (spec === undefined || outcome.specs.length > 1) {
        throw new VirtnetError(
          'USAGE_ONE_VM',
          `${file} must hold exactly one VM (it holds ${outcome.specs.length})`,
          { file },
        );
      }
      const signalled = waitForSignal();
      const cancel = new AbortController();
      void signalled.then(() => cancel.abort());
      const log = (m: string): void => void process.stderr.write(`virtnet: ${m}\n`);
      const reportLeft = (problems: readonly string[]): void => {
        for (const p of problems) log(`not torn down: ${p}`);
        if (problems.length > 0) process.exitCode = 1;
      };
      let run: VmRun;
      try {
        run = await startVmRun({
          spec,
          cluster,
          stateDir,
          podName: opts.pod,
          cniConfDir: opts.cniConfDir,
          nadFiles: opts.nad,
          cniPath: cniPathOption(opts.cniPath),
          pluginTimeoutMs: opts.pluginTimeoutMs,
          signal: cancel.signal,
          accel: opts.accel,
          serialLogPath: opts.serialLog,
          disk: opts.disk !== undefined ? { path: opts.disk, format: opts.diskFormat } : undefined,
          kernel:
            opts.kernel !== undefined && opts.initrd !== undefined
              ? { kernelPath: opts.kernel, initrdPath: opts.initrd, cmdline: opts.cmdline }
              : undefined,
          memoryMiB: opts.memory,
          log,
        });
      } catch (err) {
        if (!cancel.signal.aborted) throw err;
        // A signal during setup: the setup stopped where it was and undid what it had created.
        const rollbackErrors =
          isVirtnetError(err) && Array.isArray(err.detail.rollbackErrors)
            ? (err.detail.rollbackErrors as string[])
            : [];
        log(
          `${await signalled} during setup: ${spec.name} not started${rollbackErrors.length === 0 ? ', everything undone' : ''}`,
        );
        reportLeft(rollbackErrors);
        return;
      }
      const ownGuest = opts.disk === undefined && opts.kernel === undefined;
      if (opts.output === 'text') {
        process.stdout.write(renderWiringTree(run.record));
        void guestReadyOrTimeout(run, opts.readyTimeout * 1000).then(() => {
          if (run.record.guestReady) process.stdout.write(`guest ready\n${renderWiringTree(run.record)}`);
        });
      } else {
        void (ownGuest ? guestReadyOrTimeout(run, opts.readyTimeout * 1000) : Promise.resolve()).then(() => {
          if (run.record.phase === 'running') process.stdout.write(`${JSON.stringify(run.record)}\n`);
        });
      }
      const ended = await Promise.race([
        signalled.then((signal) => ({ signal })),
        run.exited.then((exit) => ({ exit })),
      ]);
      const left = await run.shutdown();
      const tornDown = left.length === 0 ? 'everything torn down' : 'teardown incomplete';
      if ('exit' in ended) {
        log(
          `QEMU exited (${ended.exit.signal ?? `status ${ended.exit.code}`}): ${ended.exit.stderrTail || 'no message'}; ${tornDown}`,
        );
        process.exitCode = 1;
      } else {
        log(`${ended.signal}: ${spec.name} stopped, ${tornDown}`);
      }
      reportLeft(left);
    });
}
