// Which command modules a command line loads: only the command it runs, none for --version, all for
// help or an unknown word (so help lists everything and commander can say "unknown command").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from '@commander-js/extra-typings';
import { commandNamed, registerCommands, wantsVersionOnly } from './index.js';

const argv = (...words: string[]) => ['node', 'virtnet', ...words];

test('commandNamed: the first word after the program flags, help <command> included', () => {
  assert.equal(commandNamed(argv('validate', 'x.yaml')), 'validate');
  assert.equal(commandNamed(argv('cni-proxy', '--help')), 'cni-proxy');
  assert.equal(commandNamed(argv('help', 'run')), 'run');
  assert.equal(commandNamed(argv('--help')), undefined);
  assert.equal(commandNamed(argv('bogus')), undefined);
  assert.equal(commandNamed(argv('toString')), undefined, 'not an inherited property');
  assert.equal(commandNamed(argv()), undefined);
});

test('wantsVersionOnly: -V and --version as the first word', () => {
  assert.ok(wantsVersionOnly(argv('--version')));
  assert.ok(wantsVersionOnly(argv('-V')));
  assert.ok(!wantsVersionOnly(argv('validate', '--version')));
});

test('registerCommands: one command for a command line that names it, all for help, none for --version', async () => {
  const names = async (...words: string[]) => {
    const program = new Command('virtnet');
    await registerCommands(program, argv(...words));
    return program.commands.map((c) => c.name());
  };
  assert.deepEqual(await names('validate', 'x.yaml'), ['validate']);
  assert.deepEqual(await names('--version'), []);
  const all = await names('--help');
  assert.ok(
    all.includes('run') && all.includes('validate') && all.includes('gc') && all.length >= 13,
    all.join(' '),
  );
});
