// Types of the lint plugin for the test that runs its rules on fixtures.
import type { ESLint } from 'eslint';

declare const plugin: ESLint.Plugin;
export default plugin;
