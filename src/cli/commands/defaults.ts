// `virtnet defaults [-o json|yaml] [--cluster-config FILE] [--vm-spec] FILE`: prints each VM of FILE
// defaulted and normalised, as a mutating webhook would store it (or virtnet's internal VmSpec with
// --vm-spec). Invalid specs print their errors on stderr and exit 1.
import { Option, type Command } from '@commander-js/extra-typings';
import { stringify } from 'yaml';
import { renderDefaultedDocument } from '../../api/render-defaults.js';
import { loadSpecsReporting } from '../load-specs.js';

/** Registers `defaults`. */
export function register(program: Command): void {
  program
    .command('defaults')
    .description('print the defaulted, normalised spec (what a mutating webhook would store)')
    // JSON by default: it is also YAML, so every reader (kubectl, yaml, JSON.parse) takes it.
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['json', 'yaml'] as const)
        .default('json' as const),
    )
    .option(
      '--cluster-config <file>',
      'cluster configuration (object, kubevirt-config ConfigMap or KubeVirt CR)',
    )
    .option('--vm-spec', "print virtnet's normalised VmSpec instead of the KubeVirt document")
    .argument('<file>', 'spec file (- for stdin)')
    .action(async (file, opts) => {
      const loaded = await loadSpecsReporting(file, opts.clusterConfig);
      if (!loaded) return;
      const { outcome } = loaded;
      const docs = outcome.documents
        .filter((d) => d.spec)
        .map((d) => (opts.vmSpec ? d.spec! : renderDefaultedDocument(d.value, d.spec!)));
      if (opts.output === 'json')
        process.stdout.write(`${JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2)}\n`);
      else process.stdout.write(docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'));
    });
}
