// `virtnet crd [-o json|yaml] [--full]`: prints the structural OpenAPI v3 schema of a
// VirtualMachineInstance — the validated network spec and the status — or, with --full, the whole
// virtnet.io/v1alpha1 CustomResourceDefinition (printer columns, status subresource).
import { Option, type Command } from '@commander-js/extra-typings';
import { stringify } from 'yaml';
import { vmiCrd, vmiOpenApiSchema } from '../../kube/vmi-crd.js';

/** Registers `crd`. */
export function register(program: Command): void {
  program
    .command('crd')
    .description('print the structural OpenAPI v3 schema of a VirtualMachineInstance (spec and status)')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['json', 'yaml'] as const)
        .default('json' as const),
    )
    .option('--full', 'print the complete CustomResourceDefinition')
    .action((opts) => {
      const value = opts.full ? vmiCrd() : vmiOpenApiSchema();
      process.stdout.write(
        opts.output === 'yaml' ? stringify(value, { lineWidth: 0 }) : `${JSON.stringify(value, null, 2)}\n`,
      );
    });
}
