// The list of commands. Each module exports `register(program)`; add one import and one line here.
import type { Command } from '@commander-js/extra-typings';
import { register as registerValidate } from './validate.js';
import { register as registerDefaults } from './defaults.js';
import { register as registerCrd } from './crd.js';
import { register as registerPlan } from './plan.js';
import { register as registerUp } from './up.js';
import { register as registerDown } from './down.js';
import { register as registerPod } from './pod.js';
import { register as registerCni } from './cni.js';
import { register as registerCniProxy } from './cni-proxy.js';
import { register as registerRun } from './run.js';
import { register as registerStatus } from './status.js';
import { register as registerGc } from './gc.js';
import { register as registerGuest } from './guest.js';
import { register as registerKube } from './kube.js';

type Register = (program: Command) => void;

const registrations: Register[] = [
  registerPod,
  registerCni,
  registerCniProxy,
  registerValidate,
  registerDefaults,
  registerCrd,
  registerPlan,
  registerUp,
  registerDown,
  registerRun,
  registerStatus,
  registerGc,
  registerGuest,
  registerKube,
];

/** Registers every virtnet command on `program`. */
export function registerCommands(program: Command): void {
  for (const register of registrations) register(program);
}
