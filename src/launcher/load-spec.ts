// Reads VM spec files (a path, or `-` for stdin) and cluster configuration files, and runs the pure
// API over them: parse every document, validate each against the cluster configuration, return the
// outcomes as data. Unreadable files are usage errors (exit 2); invalid specs are outcomes, not throws.
import { readFile } from 'node:fs/promises';
import {
  DEFAULT_CLUSTER_CONFIG,
  parseClusterConfig,
  parseSpecDocuments,
  validateVmDocument,
  type ClusterConfig,
  type SpecIssue,
  type ValidateOptions,
  type VmSpec,
} from '../api/index.js';
import { isListDocument, listItemDocuments, prefixIssue } from '../api/list-documents.js';
import { VirtnetError } from '../errors/virtnet-error.js';

/** The outcome of one document of a file (or one item of a List). `spec` is present when it is a valid VM. */
export interface DocumentOutcome {
  index: number;
  spec?: VmSpec;
  errors: SpecIssue[];
  warnings: SpecIssue[];
  /** Skipped: not a VM (e.g. a NetworkAttachmentDefinition beside the VM). */
  ignored: boolean;
  /** The parsed document value (for `virtnet defaults`). */
  value: unknown;
}

/** The outcome of one file: valid when no document (and not the file itself) has an error. */
export interface FileOutcome {
  file: string;
  valid: boolean;
  errors: SpecIssue[];
  warnings: SpecIssue[];
  documents: DocumentOutcome[];
  /** The valid VMs of the file, in order. */
  specs: VmSpec[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of `path` (`-` is stdin); throws USAGE_FILE_UNREADABLE naming the file. */
export async function readSpecText(path: string): Promise<string> {
  try {
    return path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (err as NodeJS.ErrnoException).code === 'EISDIR'
          ? 'is a directory'
          : err instanceof Error
            ? err.message
            : String(err);
    throw new VirtnetError(
      'USAGE_FILE_UNREADABLE',
      `cannot read ${path}: ${reason}`,
      { file: path },
      { cause: err },
    );
  }
}

/** Validates every document of `text` (named `file` in issues). */
export function validateSpecText(
  text: string,
  file: string,
  clusterConfig: ClusterConfig = DEFAULT_CLUSTER_CONFIG,
  options: ValidateOptions = {},
): FileOutcome {
  const parsed = parseSpecDocuments(text, file);
  const documents = parsed.documents.flatMap((doc): DocumentOutcome[] => {
    if (doc.errors.length === 0 && isListDocument(doc.value)) {
      return listItemDocuments(doc).map((item, i) => {
        const r = validateVmDocument(item, clusterConfig, options);
        const prefix = (list: SpecIssue[]) => list.map((issue) => prefixIssue(issue, i));
        return {
          index: item.index,
          ...(r.spec ? { spec: r.spec } : {}),
          errors: prefix(r.errors),
          warnings: prefix(r.warnings),
          ignored: r.ignored === true,
          value: item.value,
        };
      });
    }
    const r = validateVmDocument(doc, clusterConfig, options);
    return [
      {
        index: doc.index,
        ...(r.spec ? { spec: r.spec } : {}),
        errors: r.errors,
        warnings: r.warnings,
        ignored: r.ignored === true,
        value: doc.value,
      },
    ];
  });
  const errors = [...parsed.errors, ...documents.flatMap((d) => d.errors)];
  const warnings = documents.flatMap((d) => d.warnings);
  const specs = documents.flatMap((d) => (d.spec ? [d.spec] : []));
  return { file, valid: errors.length === 0, errors, warnings, documents, specs };
}

/** Reads and validates every VM document of `path` (`-` for stdin). */
export async function loadVmSpecs(
  path: string,
  clusterConfig: ClusterConfig = DEFAULT_CLUSTER_CONFIG,
  options: ValidateOptions = {},
): Promise<FileOutcome> {
  return validateSpecText(await readSpecText(path), path, clusterConfig, options);
}

/** The one valid VM of `path`; throws SPEC_INVALID (first error's field, all issues in detail) otherwise. */
export async function loadVmSpec(
  path: string,
  clusterConfig: ClusterConfig = DEFAULT_CLUSTER_CONFIG,
  options: ValidateOptions = {},
): Promise<VmSpec> {
  const outcome = await loadVmSpecs(path, clusterConfig, options);
  const first = outcome.errors[0];
  if (first) {
    const where = first.line !== undefined ? `${path}:${first.line}:${first.column}: ` : `${path}: `;
    throw new VirtnetError(
      'SPEC_INVALID',
      `${where}${first.message}${outcome.errors.length > 1 ? ` (and ${outcome.errors.length - 1} more; run virtnet validate)` : ''}`,
      { field: first.field, file: path, issues: outcome.errors },
    );
  }
  if (outcome.specs.length !== 1)
    throw new VirtnetError(
      'SPEC_INVALID',
      `${path} holds ${outcome.specs.length} VMs; exactly one is needed here`,
      { file: path },
    );
  return outcome.specs[0]!;
}

/** Reads a cluster configuration file (plain object, kubevirt-config ConfigMap or KubeVirt CR); no path gives the defaults. */
export async function loadClusterConfig(path?: string): Promise<ClusterConfig> {
  if (path === undefined) return { ...DEFAULT_CLUSTER_CONFIG };
  const parsed = parseSpecDocuments(await readSpecText(path), path);
  const issues = [...parsed.errors, ...parsed.documents.flatMap((d) => d.errors)];
  const doc = parsed.documents[0];
  if (issues.length === 0 && doc) {
    const result = parseClusterConfig(doc.value, (p) => doc.locate(p));
    issues.push(...result.errors);
    if (issues.length === 0) return result.config;
  }
  const first = issues[0];
  const where = first?.line !== undefined ? `${path}:${first.line}:${first.column}: ` : `${path}: `;
  throw new VirtnetError(
    'USAGE_CLUSTER_CONFIG_INVALID',
    `${where}${first ? `${first.field ? `${first.field}: ` : ''}${first.message}` : 'empty cluster configuration'}`,
    { file: path, field: first?.field ?? '' },
  );
}
