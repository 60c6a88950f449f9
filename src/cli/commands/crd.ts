// `virtnet crd [-o json|yaml] [--full]`: prints the structural OpenAPI v3 schema of the network part of
// a VirtualMachineInstance (or, with --full, a whole CustomResourceDefinition around it).
import { Option, type Command } from '@commander-js/extra-typings';
import { stringify } from 'yaml';
import { crdDocument, crdOpenApiSchema } from '../../api/crd-schema.js';

/** Registers `crd`. */
export function register(program: Command): void {
  program
    .command('crd')
    .description('print the structural OpenAPI v3 schema of the VM network API')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml'] as const).default('json' as const))
    .option('--full', 'print a complete CustomResourceDefinition')
    .action((opts) => {
      const value = opts.full ? crdDocument() : crdOpenApiSchema();
      process.stdout.write(opts.output === 'yaml' ? stringify(value, { lineWidth: 0 }) : `${JSON.stringify(value, null, 2)}\n`);
    });
}
