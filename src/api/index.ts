// The public surface of the VM network API: parse spec text, validate documents, read cluster configs,
// render defaults and the CRD schema. Pure (no I/O); src/launcher/load-spec.ts does the file reading.
export * from './types.js';
export { ISSUE_CODES, type IssueCode } from './issue-codes.js';
export { formatFieldPath, type FieldPath, type SpecIssue } from './spec-issue.js';
export {
  parseSpecDocuments,
  documentFromValue,
  type ParsedSpecFile,
  type SpecDocument,
  type SourcePosition,
} from './parse-documents.js';
export { validateVmDocument, type ValidateOptions, type VmValidationResult } from './validate-vm.js';
export { parseClusterConfig, type ClusterConfigResult } from './cluster-config.js';
export { isLinuxInterfaceName, IFNAME_MAX_BYTES } from './linux-ifname.js';
export { MASQUERADE_RESERVED_MAC } from './network-rules.js';
export { renderDefaultedDocument } from './render-defaults.js';
export { crdOpenApiSchema } from './crd-schema.js';
export { isListDocument, listItemDocuments, prefixIssue } from './list-documents.js';
export { bindingOf } from './network-rules.js';
export { normaliseMac, checkMacAddress } from './mac-address.js';
