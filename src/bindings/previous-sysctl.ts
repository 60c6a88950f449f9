// The value a pod-wide sysctl step replaces, from the planner's discovery (src/host/discover.ts reads
// POD_SYSCTLS). Steps that carry it let the executor apply a first plan without observing the pod
// again (executor.ts, observedFromPlan).
import type { BindingContext } from './plan-types.js';

/** `{ previousValue }` when discovery read `key`, else nothing. */
export function previousSysctl(ctx: BindingContext, key: string): { previousValue?: string } {
  const value = ctx.pod.sysctls?.[key];
  return value === undefined ? {} : { previousValue: value };
}
