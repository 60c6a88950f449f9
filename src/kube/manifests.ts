// virtnet's deployment as Kubernetes objects: namespace, CRDs, one ServiceAccount and least-privilege
// RBAC per component, the webhook Service and configurations (caBundle filled in by the webhook itself at
// start, see webhook-certs.ts), the two Deployments, and the node agent's DaemonSet (the one privileged
// component: it wires launcher pods' namespaces on its node). deploy/ is these objects written as a kustomize
// base (`virtnet kube manifests --write deploy`); a test keeps the two identical. Only APIs GA in
// Kubernetes 1.20: apps/v1, rbac v1, apiextensions v1, admissionregistration v1. Pure.
import { nadCrd, VMI_GROUP, VMI_PLURAL, VMI_VERSION, vmiCrd } from './vmi-crd.js';

type Json = Record<string, unknown>;

export const DEFAULT_NAMESPACE = 'virtnet-system';
export const DEFAULT_IMAGE = 'localhost/virtnet:lab';
export const WEBHOOK_NAME = 'virtnet-webhook';
export const CONTROLLER_NAME = 'virtnet-controller';
export const AGENT_NAME = 'virtnet-agent';
export const DEFAULT_AGENT_IMAGE = 'localhost/virtnet-agent:lab';
export const DEFAULT_LAUNCHER_IMAGE = 'localhost/virtnet-launcher:lab';
/** containerd's CRI socket where packages put it. */
export const DEFAULT_CRI_SOCKET = '/run/containerd/containerd.sock';
export const DEFAULT_CNI_BIN_DIR = '/opt/cni/bin';
export const DEFAULT_CNI_CONF_DIR = '/etc/cni/net.d';
/** Where the agent container sees the runtime's socket directory and the host's CNI dirs. */
export const AGENT_CRI_DIR = '/run/virtnet-cri';
/** Where the agent copies the delegating plugin's bundle, kubeconfig and records on the node. */
export const DEFAULT_CNI_PLUGIN_HOME = '/opt/virtnet/cni';
/** The kubelet's device plugin dir, where the agent offers launcher pods their KVM slot. */
export const DEVICE_PLUGIN_DIR = '/var/lib/kubelet/device-plugins';
/** Where the agent sees the plugin's ServiceAccount token (a Secret volume). */
export const AGENT_CNI_TOKEN_DIR = '/var/run/secrets/virtnet.io/cni';
/**
 * The delegating CNI plugin's identity: the kubeconfig installed with the plugin on each node carries
 * this ServiceAccount's token (as Multus' daemon writes its own for its plugin).
 */
export const CNI_PLUGIN_NAME = 'virtnet-cni';
/** The Secret the token controller fills with that ServiceAccount's token, for the agents to mount. */
export const CNI_PLUGIN_TOKEN_SECRET = 'virtnet-cni-token';
/** Both webhook configurations share this name. */
export const WEBHOOK_CONFIGURATION = 'virtnet';
export const WEBHOOK_TLS_SECRET = 'virtnet-webhook-tls';
export const WEBHOOK_PORT = 8443;
export const VALIDATE_PATH = '/validate-vmi';
export const MUTATE_PATH = '/mutate-vmi';

export interface ManifestOptions {
  namespace?: string;
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  agentImage?: string;
  /** The image of launcher pods' VM container (QEMU and the default guest). */
  launcherImage?: string;
  /** The container runtime's CRI socket on the nodes. */
  criSocket?: string;
  cniBinDir?: string;
  cniConfDir?: string;
  /** Where the agent installs the delegating plugin's bundle on each node. */
  cniPluginHome?: string;
}

/** The files of deploy/ and the objects each holds, in apply order. */
export interface ManifestFile {
  file: string;
  objects: Json[];
}

const PART_OF = { 'app.kubernetes.io/part-of': 'virtnet' };

function labels(component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': component, ...PART_OF };
}

function rule(apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): Json {
  return { apiGroups, resources, verbs, ...(resourceNames ? { resourceNames } : {}) };
}

function rbac(namespace: string): Json[] {
  const sa = (name: string): Json => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace, labels: labels(name) },
  });
  const binding = (
    kind: 'ClusterRoleBinding' | 'RoleBinding',
    roleKind: 'ClusterRole' | 'Role',
    name: string,
  ): Json => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(kind === 'RoleBinding' ? { namespace } : {}), labels: labels(name) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  });
  return [
    sa(CONTROLLER_NAME),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: CONTROLLER_NAME, labels: labels(CONTROLLER_NAME) },
      rules: [
        rule([VMI_GROUP], [VMI_PLURAL], ['get', 'list', 'watch', 'patch']),
        rule([VMI_GROUP], [`${VMI_PLURAL}/status`], ['get', 'patch']),
        // Setting blockOwnerDeletion on a launcher pod needs update on its owner's finalizers.
        rule([VMI_GROUP], [`${VMI_PLURAL}/finalizers`], ['update']),
        rule([''], ['pods'], ['get', 'list', 'watch', 'create', 'delete']),
        rule([''], ['events'], ['create', 'patch']),
        rule(['k8s.cni.cncf.io'], ['network-attachment-definitions'], ['get']),
      ],
    },
    binding('ClusterRoleBinding', 'ClusterRole', CONTROLLER_NAME),
    // The controller reads its own pod once, to start launchers from the image it runs.
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: CONTROLLER_NAME, namespace, labels: labels(CONTROLLER_NAME) },
      rules: [rule([''], ['pods'], ['get'])],
    },
    binding('RoleBinding', 'Role', CONTROLLER_NAME),
    sa(WEBHOOK_NAME),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: WEBHOOK_NAME, labels: labels(WEBHOOK_NAME) },
      rules: [
        // list and watch by name (fieldSelector metadata.name), to restore a lost caBundle.
        rule(
          ['admissionregistration.k8s.io'],
          ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
          ['get', 'list', 'watch', 'patch'],
          [WEBHOOK_CONFIGURATION],
        ),
      ],
    },
    binding('ClusterRoleBinding', 'ClusterRole', WEBHOOK_NAME),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: WEBHOOK_NAME, namespace, labels: labels(WEBHOOK_NAME) },
      // `create` cannot be limited by name; reading is limited to the one Secret.
      rules: [rule([''], ['secrets'], ['create']), rule([''], ['secrets'], ['get'], [WEBHOOK_TLS_SECRET])],
    },
    binding('RoleBinding', 'Role', WEBHOOK_NAME),
    sa(AGENT_NAME),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: AGENT_NAME, labels: labels(AGENT_NAME) },
      rules: [
        // Launcher pods of its node (a field selector on spec.nodeName), their VMIs, and the guest's
        // interfaces in the VMIs' status.
        rule([''], ['pods'], ['get', 'list', 'watch']),
        rule([VMI_GROUP], [VMI_PLURAL], ['get']),
        rule([VMI_GROUP], [`${VMI_PLURAL}/status`], ['get', 'patch']),
      ],
    },
    binding('ClusterRoleBinding', 'ClusterRole', AGENT_NAME),
    sa(CNI_PLUGIN_NAME),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: CNI_PLUGIN_NAME, labels: labels(CNI_PLUGIN_NAME) },
      rules: [
        // A pod's annotations (when the runtime does not pass them) and its network-status.
        rule([''], ['pods'], ['get', 'patch']),
        rule(['k8s.cni.cncf.io'], ['network-attachment-definitions'], ['get']),
      ],
    },
    binding('ClusterRoleBinding', 'ClusterRole', CNI_PLUGIN_NAME),
    // A token that does not expire with a pod: the plugin runs on the host, outside any pod.
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: CNI_PLUGIN_TOKEN_SECRET,
        namespace,
        labels: labels(CNI_PLUGIN_NAME),
        annotations: { 'kubernetes.io/service-account.name': CNI_PLUGIN_NAME },
      },
    },
  ];
}

const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 65534,
  runAsGroup: 65534,
  capabilities: { drop: ['ALL'] },
};

function deployment(
  name: string,
  namespace: string,
  image: string,
  pullPolicy: string,
  args: string[],
  extra: Json,
): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: labels(name) },
    spec: {
      // One replica: the controller has no leader election yet, and one webhook suffices for a node.
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels: labels(name) },
        spec: {
          serviceAccountName: name,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true },
          containers: [
            {
              name,
              image,
              imagePullPolicy: pullPolicy,
              args,
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              // CPU shares follow the request: 10m would starve admission and reconciles on a busy node.
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              securityContext: RESTRICTED_CONTAINER,
              ...extra,
            },
          ],
        },
      },
    },
  };
}

function hostPathVolume(name: string, path: string, type: string): Json {
  return { name, hostPath: { path, type } };
}

/**
 * The node agent: privileged (it changes pod namespaces, nft tables and taps), in the host's network
 * and PID namespaces, with the per-pod state dirs, the runtime's CRI socket, and the host's CNI dirs
 * and the plugin's home, where it installs the delegating plugin (virtnet-cni) with the token of the
 * plugin's own ServiceAccount, as Multus' daemon installs its plugin, and the kubelet's device plugin
 * dir, where it offers each launcher pod a KVM slot (src/agent/kvm-device.ts). It opens a sandbox's network namespace through the runtime's
 * root (/proc/<shim PID>/root/var/run/netns/...) rather than a /var/run/netns volume: HostToContainer
 * propagation needs a shared or slave mount there, which a node whose / is private (no systemd) does
 * not have, and without propagation the volume would not show namespaces made after the agent started.
 * A sandbox's /proc/<pause PID>/root holds the pod's resolv.conf.
 */
function agentDaemonSet(namespace: string, image: string, pullPolicy: string, opts: ManifestOptions): Json {
  const criSocket = opts.criSocket ?? DEFAULT_CRI_SOCKET;
  const slash = criSocket.lastIndexOf('/');
  const criDir = criSocket.slice(0, slash) || '/';
  const criFile = criSocket.slice(slash + 1);
  const cniBin = opts.cniBinDir ?? DEFAULT_CNI_BIN_DIR;
  const cniConf = opts.cniConfDir ?? DEFAULT_CNI_CONF_DIR;
  const cniHome = opts.cniPluginHome ?? DEFAULT_CNI_PLUGIN_HOME;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: AGENT_NAME, namespace, labels: labels(AGENT_NAME) },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': AGENT_NAME } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: labels(AGENT_NAME) },
        spec: {
          serviceAccountName: AGENT_NAME,
          enableServiceLinks: false,
          hostNetwork: true,
          hostPID: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          // Every node that runs launcher pods needs its agent, tainted or not.
          tolerations: [{ operator: 'Exists' }],
          // Running VMs keep their network while the agent is away: no hurry to stop it.
          terminationGracePeriodSeconds: 10,
          containers: [
            {
              name: 'agent',
              image,
              imagePullPolicy: pullPolicy,
              // The CNI dirs and the plugin's home are mounted at their host paths: the files the
              // agent writes there name each other by those paths.
              args: [
                'kube',
                'agent',
                '--cri-address',
                `${AGENT_CRI_DIR}/${criFile}`,
                '--cni-bin-dir',
                cniBin,
                '--cni-conf-dir',
                cniConf,
                '--cni-plugin-home',
                cniHome,
                '--cni-token-dir',
                AGENT_CNI_TOKEN_DIR,
              ],
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              securityContext: { privileged: true, runAsUser: 0 },
              volumeMounts: [
                { name: 'state', mountPath: '/var/lib/virtnet' },
                { name: 'cri', mountPath: AGENT_CRI_DIR },
                { name: 'cni-bin', mountPath: cniBin },
                { name: 'cni-conf', mountPath: cniConf },
                { name: 'cni-home', mountPath: cniHome },
                { name: 'cni-token', mountPath: AGENT_CNI_TOKEN_DIR, readOnly: true },
                { name: 'device-plugins', mountPath: DEVICE_PLUGIN_DIR },
              ],
            },
          ],
          volumes: [
            hostPathVolume('state', '/var/lib/virtnet', 'DirectoryOrCreate'),
            hostPathVolume('cri', criDir, 'Directory'),
            hostPathVolume('cni-bin', cniBin, 'DirectoryOrCreate'),
            hostPathVolume('cni-conf', cniConf, 'DirectoryOrCreate'),
            hostPathVolume('cni-home', cniHome, 'DirectoryOrCreate'),
            { name: 'cni-token', secret: { secretName: CNI_PLUGIN_TOKEN_SECRET, defaultMode: 0o400 } },
            hostPathVolume('device-plugins', DEVICE_PLUGIN_DIR, 'DirectoryOrCreate'),
          ],
        },
      },
    },
  };
}

function webhookConfiguration(
  kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration',
  namespace: string,
): Json {
  const mutating = kind === 'MutatingWebhookConfiguration';
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name: WEBHOOK_CONFIGURATION, labels: labels(WEBHOOK_NAME) },
    webhooks: [
      {
        name: mutating ? 'defaults.vmi.virtnet.io' : 'validate.vmi.virtnet.io',
        clientConfig: {
          service: { namespace, name: WEBHOOK_NAME, path: mutating ? MUTATE_PATH : VALIDATE_PATH, port: 443 },
        },
        rules: [
          {
            apiGroups: [VMI_GROUP],
            apiVersions: [VMI_VERSION],
            operations: ['CREATE', 'UPDATE'],
            resources: [VMI_PLURAL],
            scope: 'Namespaced',
          },
        ],
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        ...(mutating ? { reinvocationPolicy: 'Never' } : {}),
      },
    ],
  };
}

/** Every object of a virtnet deployment, grouped by the deploy/ file that holds it. */
export function manifestFiles(opts: ManifestOptions = {}): ManifestFile[] {
  const namespace = opts.namespace ?? DEFAULT_NAMESPACE;
  const image = opts.image ?? DEFAULT_IMAGE;
  const pullPolicy = opts.imagePullPolicy ?? 'IfNotPresent';
  const probe = { httpGet: { scheme: 'HTTPS', path: '/readyz', port: WEBHOOK_PORT }, periodSeconds: 2 };
  return [
    {
      file: 'namespace.yaml',
      objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: PART_OF } }],
    },
    { file: 'crds.yaml', objects: [vmiCrd(), nadCrd()] },
    { file: 'rbac.yaml', objects: rbac(namespace) },
    {
      file: 'webhook.yaml',
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: WEBHOOK_NAME, namespace, labels: labels(WEBHOOK_NAME) },
          spec: {
            selector: { 'app.kubernetes.io/name': WEBHOOK_NAME },
            ports: [{ name: 'https', port: 443, targetPort: WEBHOOK_PORT, protocol: 'TCP' }],
          },
        },
        deployment(
          WEBHOOK_NAME,
          namespace,
          image,
          pullPolicy,
          ['kube', 'webhook', '--port', String(WEBHOOK_PORT)],
          {
            ports: [{ name: 'https', containerPort: WEBHOOK_PORT, protocol: 'TCP' }],
            readinessProbe: probe,
          },
        ),
        webhookConfiguration('MutatingWebhookConfiguration', namespace),
        webhookConfiguration('ValidatingWebhookConfiguration', namespace),
      ],
    },
    {
      file: 'controller.yaml',
      objects: [
        deployment(
          CONTROLLER_NAME,
          namespace,
          image,
          pullPolicy,
          ['kube', 'controller', '--launcher-image', opts.launcherImage ?? DEFAULT_LAUNCHER_IMAGE],
          {},
        ),
      ],
    },
    {
      file: 'agent.yaml',
      objects: [agentDaemonSet(namespace, opts.agentImage ?? DEFAULT_AGENT_IMAGE, pullPolicy, opts)],
    },
  ];
}

/** deploy/kustomization.yaml. */
export function kustomization(files: readonly ManifestFile[]): Json {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: files.map((f) => f.file),
  };
}
