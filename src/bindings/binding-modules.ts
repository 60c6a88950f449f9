// The binding modules virtnet knows, by binding kind. Each module is self-contained (like a CNI
// plugin) and never imports another; add one line per new binding.
import type { BindingKind } from '../api/types.js';
import { bridgeBinding } from './bridge/bridge-planner.js';
import { masqueradeBinding } from './masquerade/index.js';
import { macvtapBinding } from './macvtap/macvtap-planner.js';
import { passtBinding } from './passt/passt-planner.js';
import type { BindingModule } from './plan-types.js';
import { slirpBinding } from './slirp/slirp-planner.js';
import { sriovBinding } from './sriov/index.js';
import { tapPluginBinding } from './tap-plugin/tap-plugin-planner.js';

/** Binding kind → planner. Kinds not listed are reported as BINDING_NOT_IMPLEMENTED by the planner. */
export const BINDING_MODULES: Partial<Record<BindingKind, BindingModule>> = {
  bridge: bridgeBinding,
  masquerade: masqueradeBinding,
  sriov: sriovBinding,
  slirp: slirpBinding,
  passt: passtBinding,
  macvtap: macvtapBinding,
  plugin: tapPluginBinding,
};
