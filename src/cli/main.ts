#!/usr/bin/env node
// virtnet's command line: one commander program; each command lives in its own module under
// ./commands and is loaded only when it runs. Exit codes: 0 ok, 1 invalid input or failed job, 2 usage errors.
import { Command } from '@commander-js/extra-typings';
import { becomeLeanNode } from '../exec/lean-node.js';
import { requireNativeAddons } from '../exec/native-addon.js';
import { registerCommands } from './commands/index.js';
import { reportFatal } from './report-fatal.js';

try {
  // The addons are part of the build: a missing one stops every command here, not midway.
  requireNativeAddons();
} catch (err) {
  process.exit(reportFatal(err));
}
// The per-VM processes live as long as their VMs: small beats fast there (see lean-node.ts).
if (
  process.argv[2] === 'run' ||
  process.argv[2] === 'up' ||
  (process.argv[2] === 'kube' && process.argv[3] === 'launcher')
)
  becomeLeanNode();

const program = new Command('virtnet')
  .description('Connect virtual machines to Kubernetes pod networks through CNI')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride((err) => {
    // commander's own usage errors exit 2, help/version 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerCommands(program, process.argv)
  .then(() => program.parseAsync(process.argv))
  .catch((err: unknown) => {
    process.exitCode = reportFatal(err);
  });
