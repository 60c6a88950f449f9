// `virtnet cni-proxy serve --socket-dir DIR`: the host-side CNI proxy, one unix socket per pod.
import type { Command } from '@commander-js/extra-typings';
import { CniProxy, type CniProxyOptions } from '../../cni/proxy/cni-proxy.js';
import { resolveStateDir } from '../../state/state-dir.js';

/** Registers `cni-proxy`. */
export function register(program: Command): void {
  const proxy = program
    .command('cni-proxy')
    .description('host-side CNI proxy: pods add and remove interfaces from host networks');
  proxy
    .command('serve')
    .description(
      'serve every pod of the state dir on its own unix socket <socket-dir>/<pod>.sock (HTTP+JSON)',
    )
    .requiredOption('--socket-dir <dir>', 'directory of the per-pod sockets')
    .option(
      '--cni-conf-dir <dir>',
      'CNI configuration directory (default: the configuration shipped with virtnet)',
    )
    .option('--nad <files...>', 'NetworkAttachmentDefinition YAML files')
    .option('--cni-path <path>', 'colon-separated plugin directories')
    .option('--state-dir <dir>', 'virtnet state directory')
    .action(async (o) => {
      const opts: CniProxyOptions = {
        socketDir: o.socketDir,
        stateDir: resolveStateDir(o.stateDir),
        onSocket: (pod, path) =>
          process.stderr.write(
            `virtnet cni-proxy: pod ${pod}: ${path ? `listening on ${path}` : 'unregistered'}\n`,
          ),
      };
      if (o.cniConfDir !== undefined) opts.cniConfDir = o.cniConfDir;
      if (o.nad && o.nad.length > 0) opts.nadFiles = o.nad;
      if (o.cniPath !== undefined) opts.cniPath = o.cniPath.split(':').filter((p) => p !== '');
      const server = new CniProxy(opts);
      await server.start();
      process.stderr.write(
        `virtnet cni-proxy: serving ${server.registeredPods().length} pod(s) in ${o.socketDir}\n`,
      );
      // Keeps the process alive while no pod (hence no socket) exists yet.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      clearInterval(keepAlive);
      await server.stop();
    });
}
