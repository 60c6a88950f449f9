// The modules a `virtnet kube agent` process loads (src/cli/commands/kube.ts, its `agent` action),
// relative to src/ (dist/ once built), without extension: what agent-imports.test.ts and
// bench/agent-rss.ts load to check that the agent stays small.
export const AGENT_MODULES = [
  'cli/commands/kube',
  'agent/node-agent',
  'agent/cni-plugin-setup',
  'agent/kvm-device',
  'cri/cri-client',
  'launcher/load-spec',
  'kube/kube-credentials',
  'kube/kube-rest',
] as const;
