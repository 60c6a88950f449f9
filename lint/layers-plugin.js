// ESLint rules that keep src/ layered (README, "Architecture"). Three rules, one concern each:
//   layers         an import from one top-level folder of src/ to another goes strictly downward in the
//                  layer order; a folder missing from the order is itself an error, so a new folder gets a
//                  place before it gets code.
//   no-folder-cycle no chain of imports leads from a top-level folder back to itself.
//   pure           a pure module reaches no I/O module, neither directly nor through any module it imports.
// The rules read other files' import lines with a regular expression instead of parsing them: they need
// only the specifiers, and linting stays fast because each file is read once per run.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const IMPORT_LINE = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Value (non-type) import specifiers of a TypeScript source text. */
function importsOf(text, { withTypes }) {
  const specs = [];
  for (const m of text.matchAll(IMPORT_LINE)) if (withTypes || !m[2]) specs.push(m[3]);
  for (const m of text.matchAll(DYNAMIC_IMPORT)) specs.push(m[1]);
  return specs;
}

/** `./x.js` from a file → the .ts file it names, or undefined when it is not a relative import. */
function resolveRelative(fromFile, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** The top-level folder of src/ a file belongs to, or undefined outside src/ (or directly in it). */
function folderOf(srcDir, file) {
  const rel = relative(srcDir, file);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0] : undefined;
}

const isTestFile = (file) => /\.test\.ts$/.test(file);

function moduleSpecifierNodes(context, visit) {
  const check = (node) => {
    if (node.source && typeof node.source.value === 'string')
      visit(node, node.source.value, node.importKind === 'type' || node.exportKind === 'type');
  };
  return {
    ImportDeclaration: check,
    ExportNamedDeclaration: check,
    ExportAllDeclaration: check,
    ImportExpression(node) {
      if (node.source.type === 'Literal' && typeof node.source.value === 'string')
        visit(node, node.source.value, false);
    },
  };
}

const srcDirOption = {
  type: 'object',
  properties: { srcDir: { type: 'string' } },
};

const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'imports between top-level folders of src/ go strictly down the layer order' },
    schema: [
      {
        type: 'object',
        properties: {
          srcDir: { type: 'string' },
          order: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
        },
        required: ['srcDir', 'order'],
      },
    ],
  },
  create(context) {
    const { srcDir, order } = context.options[0];
    const root = resolve(context.cwd, srcDir);
    const file = context.filename;
    const own = folderOf(root, file);
    if (own === undefined || isTestFile(file)) return {};
    const rank = new Map(order.flatMap((names, index) => names.map((name) => [name, index])));
    const layerText = order.map((names) => names.join(', ')).join(' → ');
    let reportedUnknown = false;
    return moduleSpecifierNodes(context, (node, spec) => {
      if (!rank.has(own)) {
        if (!reportedUnknown)
          context.report({
            node,
            message: `src/${own} has no place in the layer order (${layerText}); add it in eslint.config.js and README`,
          });
        reportedUnknown = true;
        return;
      }
      const target = resolveRelative(file, spec);
      const other = target && folderOf(root, target);
      if (other === undefined || other === own) return;
      if (!rank.has(other)) {
        context.report({ node, message: `src/${other} has no place in the layer order (${layerText})` });
      } else if (rank.get(other) >= rank.get(own)) {
        context.report({
          node,
          message: `src/${own} may not import src/${other}: imports go down the layers (${layerText})`,
        });
      }
    });
  },
};

/** Folder graph of every non-test .ts file under srcDir, computed once per srcDir per lint run. */
const folderGraphs = new Map();
function folderGraph(root) {
  const cached = folderGraphs.get(root);
  if (cached) return cached;
  const graph = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !isTestFile(path)) {
        const from = folderOf(root, path);
        if (from === undefined) continue;
        for (const spec of importsOf(readFileSync(path, 'utf8'), { withTypes: true })) {
          const target = resolveRelative(path, spec);
          const to = target && folderOf(root, target);
          if (to === undefined || to === from) continue;
          if (!graph.has(from)) graph.set(from, new Set());
          graph.get(from).add(to);
        }
      }
    }
  };
  walk(root);
  folderGraphs.set(root, graph);
  return graph;
}

/** A path of folders from `start` to `goal` in the graph, or undefined. */
function folderPath(graph, start, goal) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift();
    if (at === goal) {
      const path = [];
      for (let step = goal; step !== undefined; step = previous.get(step)) path.unshift(step);
      return path;
    }
    for (const next of graph.get(at) ?? []) {
      if (!previous.has(next)) {
        previous.set(next, at);
        queue.push(next);
      }
    }
  }
  return undefined;
}

const noFolderCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'no chain of imports leads from a top-level folder of src/ back to itself' },
    schema: [srcDirOption],
  },
  create(context) {
    const root = resolve(context.cwd, context.options[0]?.srcDir ?? 'src');
    const file = context.filename;
    const own = folderOf(root, file);
    if (own === undefined || isTestFile(file)) return {};
    return moduleSpecifierNodes(context, (node, spec) => {
      const target = resolveRelative(file, spec);
      const other = target && folderOf(root, target);
      if (other === undefined || other === own) return;
      const back = folderPath(folderGraph(root), other, own);
      if (back)
        context.report({
          node,
          message: `import cycle between folders: ${[own, ...back].map((f) => `src/${f}`).join(' → ')}`,
        });
    });
  },
};

/** The first chain of value imports from `file` that reaches an I/O module, or undefined. */
function ioChain(file, ioModules, seen = new Set()) {
  if (seen.has(file)) return undefined;
  seen.add(file);
  for (const spec of importsOf(readFileSync(file, 'utf8'), { withTypes: false })) {
    if (ioModules.includes(spec)) return [spec];
    const target = resolveRelative(file, spec);
    if (!target) continue;
    const rest = ioChain(target, ioModules, seen);
    if (rest) return [target, ...rest];
  }
  return undefined;
}

const pure = {
  meta: {
    type: 'problem',
    docs: { description: 'a pure module reaches no I/O module, directly or through the modules it imports' },
    schema: [
      {
        type: 'object',
        properties: { ioModules: { type: 'array', items: { type: 'string' } } },
        required: ['ioModules'],
      },
    ],
  },
  create(context) {
    const { ioModules } = context.options[0];
    const file = context.filename;
    return moduleSpecifierNodes(context, (node, spec, typeOnly) => {
      if (typeOnly) return;
      if (ioModules.includes(spec)) {
        context.report({ node, message: `pure module: no I/O (${spec})` });
        return;
      }
      const target = resolveRelative(file, spec);
      const chain = target && ioChain(target, ioModules);
      if (chain) {
        const shown = [target, ...chain.slice(0, -1)].map((f) => relative(context.cwd, f)).join(' → ');
        context.report({ node, message: `pure module: ${spec} reaches I/O (${shown} → ${chain.at(-1)})` });
      }
    });
  },
};

export default {
  meta: { name: 'virtnet-layers' },
  rules: { layers, 'no-folder-cycle': noFolderCycle, pure },
};
