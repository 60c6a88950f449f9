// The list of commands. Each module exports `register(program)`; add one import and one line here.
import type { Command } from '@commander-js/extra-typings';

type Register = (program: Command) => void;

const registrations: Register[] = [];

/** Registers every virtnet command on `program`. */
export function registerCommands(program: Command): void {
  for (const register of registrations) register(program);
}
