// `virtnet validate [-o text|json] [--cluster-config FILE] [--state-dir DIR] FILE...`: checks VM specs
// like a compiler. Text, all on stdout as kubectl prints it: one `FILE:LINE:COL: FIELD: message` line
// per error and warning in text order, then the file's verdict. JSON: one object per file (an array for
// several). Exit 0 all valid, 1 any invalid, 2 usage or unreadable file (that one said on stderr).
import { Option, type Command } from '@commander-js/extra-typings';
import type { SpecIssue } from '../../api/index.js';
import { isVirtnetError } from '../../errors/virtnet-error.js';
import { loadClusterConfig, loadVmSpecs, type FileOutcome } from '../../launcher/load-spec.js';
import { resolveStateDir } from '../../state/state-dir.js';

/** A file's outcome; `unreadable` when the file could not be read (reported on stderr, exit 2). */
type ValidateOutcome = FileOutcome & { unreadable?: boolean };

/** One issue as a compiler-style line. */
export function formatIssueLine(
  file: string,
  issue: SpecIssue,
  severity: 'error' | 'warning' = 'error',
): string {
  const pos = issue.line !== undefined ? `:${issue.line}:${issue.column ?? 1}` : '';
  const field = issue.field ? ` ${issue.field}:` : '';
  return `${file}${pos}:${field} ${severity === 'warning' ? 'warning: ' : ''}${issue.message}`;
}

/** The JSON shape of one issue: always the five keys. */
function issueJson(i: SpecIssue): {
  field: string;
  code: string;
  message: string;
  line: number | null;
  column: number | null;
} {
  return { field: i.field, code: i.code, message: i.message, line: i.line ?? null, column: i.column ?? null };
}

/** The JSON shape of one file's outcome. */
export function outcomeJson(o: FileOutcome): {
  file: string;
  valid: boolean;
  errors: ReturnType<typeof issueJson>[];
  warnings: ReturnType<typeof issueJson>[];
} {
  return {
    file: o.file,
    valid: o.valid,
    errors: o.errors.map(issueJson),
    warnings: o.warnings.map(issueJson),
  };
}

/** One file's text report: its errors and warnings in text order, then its verdict. */
export function textReport(o: FileOutcome): string[] {
  const issues = [
    ...o.errors.map((issue) => ({ issue, severity: 'error' as const })),
    ...o.warnings.map((issue) => ({ issue, severity: 'warning' as const })),
  ];
  // Issues of a file come per document; within the file, the order a reader scrolls in.
  issues.sort(
    (a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0),
  );
  const lines = issues.map((x) => formatIssueLine(o.file, x.issue, x.severity));
  const vms = `${o.specs.length} VM${o.specs.length === 1 ? '' : 's'}`;
  const warnings =
    o.warnings.length > 0 ? `, ${o.warnings.length} warning${o.warnings.length === 1 ? '' : 's'}` : '';
  lines.push(
    o.valid
      ? `${o.file}: valid (${vms}${warnings})`
      : `${o.file}: invalid (${o.errors.length} error${o.errors.length === 1 ? '' : 's'}${warnings})`,
  );
  return lines;
}

/** Registers `validate`. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('validate VM network specs (YAML/JSON, several documents per file, - for stdin)')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json'] as const)
        .default('text' as const),
    )
    .option(
      '--cluster-config <file>',
      'cluster configuration (object, kubevirt-config ConfigMap or KubeVirt CR)',
    )
    .option(
      '--state-dir <dir>',
      'the state directory virtnet run would use (socket paths must fit; default $VIRTNET_STATE_DIR or /var/lib/virtnet)',
    )
    .argument('<files...>', 'spec files')
    .action(async (files, opts) => {
      const cluster = await loadClusterConfig(opts.clusterConfig);
      const stateDir = resolveStateDir(opts.stateDir);
      const outcomes: ValidateOutcome[] = [];
      let unreadable = false;
      for (const file of files) {
        try {
          outcomes.push(await loadVmSpecs(file, cluster, { stateDir }));
        } catch (err) {
          if (!isVirtnetError(err, 'USAGE_FILE_UNREADABLE')) throw err;
          unreadable = true;
          process.stderr.write(`virtnet: ${err.message}\n`);
          // JSON readers still get one entry per file argument.
          outcomes.push({
            file,
            valid: false,
            errors: [{ field: '', code: 'FILE_UNREADABLE', message: err.message }],
            warnings: [],
            documents: [],
            specs: [],
            unreadable: true,
          });
        }
      }
      if (opts.output === 'json') {
        const json = outcomes.map(outcomeJson);
        process.stdout.write(`${JSON.stringify(files.length === 1 ? json[0] : json, null, 2)}\n`);
      } else {
        const lines: string[] = [];
        for (const o of outcomes) if (!o.unreadable) lines.push(...textReport(o));
        process.stdout.write(lines.map((l) => `${l}\n`).join(''));
      }
      process.exitCode = unreadable ? 2 : outcomes.every((o) => o.valid) ? 0 : 1;
    });
}
