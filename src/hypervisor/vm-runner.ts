// Runs one VM under QEMU: writes the QEMU command and the equivalent libvirt domain XML into the VM's
// run dir, starts QEMU (inside the pod's network namespace through `ip netns exec`, so TAPs are opened
// by name there), reads the serial console live (events per VIRTNET- line, console also in a log
// file), talks QMP for link state and clean shutdown, and reports the exit. Stop: system_powerdown,
// then QMP quit, then SIGKILL by PID.
import { closeSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtnetError } from '../errors/virtnet-error.js';
import { startProgram } from '../exec/run-program.js';
import { buildDomainXml } from './domain-xml.js';
import { type GuestConsoleEvent, type GuestNicReport, GuestConsoleParser } from './guest-console.js';
import { probeHostFacts } from './host-facts.js';
import { openMacvtapQueues } from '../host/macvtap-fd.js';
import { buildQemuArgs, nicIds } from './qemu-args.js';
import { type QmpClient, connectQmp } from './qmp-client.js';
import type { HostFacts, VmMachine } from './vm-machine.js';
import { nicQueues } from './vm-machine.js';

/** How to run a VM. */
export interface VmRunOptions {
  machine: VmMachine;
  /** Directory for qmp.sock, console.log, qemu-argv.json, domain.xml (created). */
  runDir: string;
  /** Pod network namespace QEMU runs in (named, under /var/run/netns). */
  netns?: string;
  host?: HostFacts;
  qemuBinary?: string;
  /** Console log file; default runDir/console.log. */
  consoleLogPath?: string;
  /** Called synchronously once QEMU is spawned, before any wait: record the pid here. */
  onSpawn?: (pid: number) => void;
  /** Called for every console protocol event. */
  onEvent?: (event: GuestConsoleEvent) => void;
  /** Max wait for QEMU's QMP socket. */
  startTimeoutMs?: number;
}

/** How QEMU ended. */
export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines QEMU wrote to stderr. */
  stderrTail: string;
}

/** Files the runner wrote for a VM. */
export interface VmRunFiles {
  qemuArgv: string;
  domainXml: string;
  consoleLog: string;
  qmpSocket: string;
}

/** A started VM. */
export interface RunningVm {
  pid: number;
  argv: string[];
  files: VmRunFiles;
  /** Latest report per NIC, keyed by MAC. */
  readonly nics: ReadonlyMap<string, GuestNicReport>;
  /** Resolves when QEMU exits (never rejects). */
  readonly exited: Promise<VmExit>;
  /** Resolves with the first event (past or future) matching `predicate`; rejects on timeout or exit. */
  waitFor<E extends GuestConsoleEvent>(
    predicate: (e: GuestConsoleEvent) => e is E,
    timeoutMs: number,
  ): Promise<E>;
  /** Resolves with one report per MAC once each NIC has reported with `ready` true (default: any report). */
  waitForNics(
    macs: readonly string[],
    timeoutMs: number,
    ready?: (nic: GuestNicReport) => boolean,
  ): Promise<GuestNicReport[]>;
  /** Runs one QMP command. */
  qmp(command: string, args?: Record<string, unknown>): Promise<unknown>;
  /** Stops the VM: ACPI power-off, after graceMs QMP quit, after 2 s more SIGKILL. */
  stop(options?: { graceMs?: number }): Promise<VmExit>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForSocket(path: string, exited: Promise<VmExit>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (gone) return;
    if (Date.now() > deadline)
      throw new VirtnetError('QEMU_START_TIMEOUT', `QEMU created no QMP socket within ${timeoutMs} ms`, {
        path,
      });
    await sleep(5);
  }
}

/**
 * Connects to QMP once QEMU listens: the socket file appears at bind(), a moment before listen(), so
 * a connect in between is refused — retry that (and only that) until QEMU exits or time runs out.
 */
export async function connectQmpWhenListening(
  path: string,
  exited: Promise<unknown>,
  timeoutMs: number,
): Promise<QmpClient> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await connectQmp(path);
    } catch (err) {
      const cause =
        err instanceof VirtnetError ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
      if (gone || Date.now() > deadline || cause?.code !== 'ECONNREFUSED') throw err;
      await sleep(20);
    }
  }
}

/** Starts QEMU for `options.machine`; resolves once QMP answers (QEMU is up, the guest booting). */
export async function startVm(options: VmRunOptions): Promise<RunningVm> {
  const { machine, runDir } = options;
  mkdirSync(runDir, { recursive: true });
  const host = options.host ?? probeHostFacts();
  const files: VmRunFiles = {
    qemuArgv: join(runDir, 'qemu-argv.json'),
    domainXml: join(runDir, 'domain.xml'),
    consoleLog: options.consoleLogPath ?? join(runDir, 'console.log'),
    qmpSocket: join(runDir, 'qmp.sock'),
  };

  // macvtap queues are opened here and inherited by QEMU as fds 3, 4, ...
  const inherited: number[] = [];
  const macvtapFds: Record<string, number[]> = {};
  try {
    for (const nic of machine.nics) {
      if (nic.backend.kind !== 'macvtap') continue;
      const fds = await openMacvtapQueues(nic.backend.device, nicQueues(nic), runDir, options.netns);
      macvtapFds[nic.name] = fds.map((_, i) => 3 + inherited.length + i);
      inherited.push(...fds);
    }
  } catch (err) {
    for (const fd of inherited) closeSync(fd);
    throw err;
  }

  let argv: string[];
  try {
    argv = buildQemuArgs(machine, {
      host,
      qemuBinary: options.qemuBinary,
      qmpSocketPath: files.qmpSocket,
      consoleLogPath: files.consoleLog,
      macvtapFds,
    });
    writeFileSync(files.qemuArgv, `${JSON.stringify(argv, null, 2)}\n`);
    writeFileSync(
      files.domainXml,
      buildDomainXml({ ...machine, serialLogPath: files.consoleLog }, { host, emulator: options.qemuBinary }),
    );
  } catch (err) {
    for (const fd of inherited) closeSync(fd);
    throw err;
  }
  const fullArgv = options.netns ? ['ip', 'netns', 'exec', options.netns, ...argv] : argv;
  let child: ReturnType<typeof startProgram>;
  try {
    child = startProgram(fullArgv, { stdio: ['pipe', 'pipe', 'pipe', ...inherited] });
  } finally {
    for (const fd of inherited) closeSync(fd);
  }

  const nics = new Map<string, GuestNicReport>();
  const history: GuestConsoleEvent[] = [];
  const waiters = new Set<(e: GuestConsoleEvent | undefined) => void>();
  const parser = new GuestConsoleParser();
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    for (const event of parser.push(chunk)) {
      if (event.kind === 'nic') nics.set(event.nic.mac, event.nic);
      history.push(event);
      options.onEvent?.(event);
      for (const w of [...waiters]) w(event);
    }
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  let exitInfo: VmExit | undefined;
  const exited = new Promise<VmExit>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (exitInfo) return;
      exitInfo = { code, signal, stderrTail: stderr.trim().split('\n').slice(-5).join('\n') };
      for (const w of [...waiters]) w(undefined);
      resolve(exitInfo);
    };
    child.on('exit', (code, signal) => finish(code, signal));
    child.on('error', () => finish(null, null));
  });
  const pid = child.pid;
  if (pid === undefined) {
    const e = await exited;
    throw new VirtnetError('QEMU_START_FAILED', `QEMU did not start: ${e.stderrTail}`, { program: argv[0] });
  }
  try {
    options.onSpawn?.(pid);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }

  let qmp: QmpClient | undefined;
  try {
    await waitForSocket(files.qmpSocket, exited, options.startTimeoutMs ?? 15_000);
    if (exitInfo)
      throw new VirtnetError('QEMU_START_FAILED', `QEMU exited at start: ${exitInfo.stderrTail}`, {
        program: argv[0],
        exitCode: exitInfo.code,
      });
    qmp = await connectQmpWhenListening(files.qmpSocket, exited, options.startTimeoutMs ?? 15_000);
    for (const nic of machine.nics) {
      if (nic.linkState === 'down' && nic.backend.kind !== 'hostdev')
        await qmp.execute('set_link', { name: nicIds(nic).deviceId, up: false });
    }
  } catch (err) {
    qmp?.close();
    // QEMU creates the QMP socket before it loads the kernel or opens devices: a QMP failure is usually
    // QEMU exiting at start, and its stderr says why.
    const early = await Promise.race([exited, sleep(1_000).then(() => undefined)]);
    if (early)
      throw new VirtnetError(
        'QEMU_START_FAILED',
        `QEMU exited at start: ${early.stderrTail}`,
        { program: argv[0], exitCode: early.code },
        { cause: err },
      );
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  void exited.then(() => qmp?.close());

  const vm: RunningVm = {
    pid,
    argv: fullArgv,
    files,
    nics,
    exited,
    waitFor<E extends GuestConsoleEvent>(
      predicate: (e: GuestConsoleEvent) => e is E,
      timeoutMs: number,
    ): Promise<E> {
      const past = history.find(predicate);
      if (past) return Promise.resolve(past);
      return new Promise<E>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(listener);
          reject(
            new VirtnetError('GUEST_TIMEOUT', `the guest did not report within ${timeoutMs} ms`, { pid }),
          );
        }, timeoutMs);
        const listener = (e: GuestConsoleEvent | undefined): void => {
          if (e === undefined) {
            clearTimeout(timer);
            waiters.delete(listener);
            reject(
              new VirtnetError(
                'QEMU_EXITED',
                `QEMU exited before the guest reported (${exitInfo?.stderrTail ?? ''})`,
                { pid },
              ),
            );
          } else if (predicate(e)) {
            clearTimeout(timer);
            waiters.delete(listener);
            resolve(e);
          }
        };
        waiters.add(listener);
      });
    },
    async waitForNics(macs, timeoutMs, ready = () => true) {
      const want = macs.map((m) => m.toLowerCase());
      const done = (): boolean =>
        want.every((m) => {
          const r = nics.get(m);
          return r !== undefined && ready(r);
        });
      if (!done()) {
        const isDone = (e: GuestConsoleEvent): e is GuestConsoleEvent => e.kind === 'nic' && done();
        // Reports may already be in history; only a new NIC event can complete the set.
        await vm.waitFor(isDone, timeoutMs).catch((err: unknown) => {
          if (!done()) throw err;
        });
      }
      return want.map((m) => nics.get(m) as GuestNicReport);
    },
    qmp(command, args) {
      if (!qmp || exitInfo)
        return Promise.reject(new VirtnetError('QMP_CLOSED', 'the VM is not running', { pid }));
      return qmp.execute(command, args);
    },
    async stop({ graceMs = 5_000 } = {}) {
      if (exitInfo) return exitInfo;
      // The timer goes with the wait: a pending one would keep the process alive after QEMU is gone.
      const within = async (ms: number): Promise<boolean> => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
        const done = await Promise.race([exited.then(() => true), timeout]);
        clearTimeout(timer);
        return done;
      };
      await vm.qmp('system_powerdown').catch(() => undefined);
      if (await within(graceMs)) return exited;
      await vm.qmp('quit').catch(() => undefined);
      if (await within(2_000)) return exited;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      return exited;
    },
  };
  return vm;
}
