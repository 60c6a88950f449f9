// The masquerade binding module: what the per-VM planner registers for `masquerade: {}` interfaces.
import type { BindingModule } from '../plan-types.js';
import { planMasquerade } from './masquerade-planner.js';

/** masquerade: NAT between a private VM subnet and the pod IP. */
export const masqueradeBinding: BindingModule = { binding: 'masquerade', plan: planMasquerade };

export { masqueradeDeviceNames, planMasquerade, MASQUERADE_BRIDGE_MAC } from './masquerade-planner.js';
