// The list of commands, each with the module that defines it. A module exports `register(program)`;
// it is imported only when its command runs (or for help), so `virtnet validate` never loads the
// hypervisor, CNI or executor code and `--version` loads none: start-up is paid on every call.
import type { Command } from '@commander-js/extra-typings';

type Register = (program: Command) => void;
type CommandModule = () => Promise<{ register: Register }>;

/** Command name → its module, in help order. Add one line here for a new command. */
const COMMANDS: Record<string, CommandModule> = {
  pod: () => import('./pod.js'),
  cni: () => import('./cni.js'),
  'cni-proxy': () => import('./cni-proxy.js'),
  validate: () => import('./validate.js'),
  defaults: () => import('./defaults.js'),
  crd: () => import('./crd.js'),
  plan: () => import('./plan.js'),
  up: () => import('./up.js'),
  down: () => import('./down.js'),
  run: () => import('./run.js'),
  status: () => import('./status.js'),
  gc: () => import('./gc.js'),
  guest: () => import('./guest.js'),
  kube: () => import('./kube.js'),
};

/** Options of the program itself that take no value (anything else before the command is a value or unknown). */
const PROGRAM_FLAGS = new Set(['-V', '--version', '-h', '--help']);

/**
 * The command `argv` (process.argv) names, when it names one: the first word after the program's own
 * flags. `help <command>` names that command. Undefined for `--version`, `--help`, no command or an
 * unknown word (then every command is registered, so help and "unknown command" stay complete).
 */
export function commandNamed(argv: readonly string[]): string | undefined {
  const words = argv.slice(2);
  let i = 0;
  while (i < words.length && PROGRAM_FLAGS.has(words[i]!)) i++;
  if (i < words.length && i > 0) return undefined; // `--version validate`: commander handles the flag first
  const word = words[i] === 'help' ? words[i + 1] : words[i];
  return word !== undefined && Object.hasOwn(COMMANDS, word) ? word : undefined;
}

/** True when `argv` only asks for the version: no command module is needed at all. */
export function wantsVersionOnly(argv: readonly string[]): boolean {
  const words = argv.slice(2);
  return words.length > 0 && (words[0] === '-V' || words[0] === '--version');
}

/** Registers the command `argv` runs, or every command when it names none (help, unknown command). */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  if (wantsVersionOnly(argv)) return;
  const named = commandNamed(argv);
  const names = named !== undefined ? [named] : Object.keys(COMMANDS);
  const modules = await Promise.all(names.map((name) => COMMANDS[name]!()));
  for (const m of modules) m.register(program);
}
