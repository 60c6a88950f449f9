// Test support: applies the step kinds a masquerade InterfacePlan uses, with the real tools (ip, sysctl,
// nft via src/host/nft.ts), and undoes them. Stands in for the executor (src/bindings/executor.ts)
// until that exists, so the binding's kernel behaviour is proven against the plan it emits.
import { runProgram } from '../../src/exec/run-program.js';
import { applyNftCommands, deleteNftTables } from '../../src/host/nft.js';
import type { InterfacePlan } from '../../src/bindings/plan-types.js';

const T = { timeoutMs: 20_000 };

/** Applies every network-phase step of `plan` in namespace `ns`. */
export async function applyPlanSteps(ns: string, plan: InterfacePlan): Promise<void> {
  const batch: string[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await runProgram(['ip', '-n', ns, '-batch', '-'], { ...T, input: `${batch.join('\n')}\n` });
    batch.length = 0;
  };
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'sysctl.set':
        await flush();
        await runProgram(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', `${step.key}=${step.value}`], T);
        break;
      case 'link.create': {
        if (step.link.type === 'bridge') batch.push(`link add ${step.device} type bridge`);
        else if (step.link.type === 'tap') {
          batch.push(`tuntap add dev ${step.device} mode tap${step.link.multiQueue ? ' multi_queue' : ''}${step.link.vnetHdr ? ' vnet_hdr' : ''}`);
        } else throw new Error(`unexpected link ${step.link.type}`);
        const set = [`link set ${step.device}`];
        if (step.mac) set.push(`address ${step.mac}`);
        if (step.mtuBytes) set.push(`mtu ${step.mtuBytes}`);
        if (step.master) set.push(`master ${step.master}`);
        if (step.up) set.push('up');
        batch.push(set.join(' '));
        break;
      }
      case 'addr.add':
        batch.push(`addr add ${step.address} dev ${step.device}`);
        break;
      case 'nft.ruleset':
        await flush();
        await applyNftCommands(step.commands, { netns: { name: ns } });
        break;
      default:
        throw new Error(`step kind ${step.kind} not expected in a masquerade plan`);
    }
  }
  await flush();
}

/** Undoes what applyPlanSteps created: nft tables, then the created links. */
export async function undoPlanSteps(ns: string, plan: InterfacePlan): Promise<void> {
  for (const step of plan.steps) {
    if (step.kind === 'nft.ruleset') await deleteNftTables(step.tables, { netns: { name: ns } });
  }
  const lines = [...plan.createdDevices].reverse().map((d) => `link del ${d}`);
  await runProgram(['ip', '-n', ns, '-force', '-batch', '-'], { ...T, input: `${lines.join('\n')}\n`, okExitCodes: [0, 1] });
}
