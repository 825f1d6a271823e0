// docs/options.md from one source: the option types of @tokenguard/core (their TSDoc, read
// with the TypeScript compiler, so a renamed or regrouped option flows through) and the
// defaults file (packages/core/src/options/defaults.ts). A stated default that contradicts
// the defaults file fails the run.
//   node scripts/docs/generate-options.js          writes docs/options.md
//   node scripts/docs/generate-options.js --check  fails when docs/options.md is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));
const coreSrc = join(root, 'packages/core/src');
const output = join(root, 'docs/options.md');

/** The option roots: the guard's options, and what every adapter adds. */
const ROOTS = [
  {
    file: 'index.ts',
    type: 'GuardOptions',
    title: 'Guard options',
    intro:
      "`createGuard(options)` and every adapter's `tokenGuard(options)` take these. Each is checked once, at construction: a bad one throws a `TokenGuardConfigError` (a `TypeError`) naming its path.",
  },
  {
    file: 'adapter-kit/index.ts',
    type: 'AdapterOptions',
    title: 'Adapter options',
    intro:
      'Every adapter (Express, Koa, Fastify, Hono) also takes these, beside the guard options; see [Frameworks](frameworks.md#adapter-options-and-lifecycle-every-adapter).',
  },
];

function createProgram() {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  return ts.createProgram(
    ROOTS.map((r) => join(coreSrc, r.file)),
    { ...config.options, noEmit: true },
  );
}

const program = createProgram();
const checker = program.getTypeChecker();

function exportedType(file, name) {
  const source = program.getSourceFile(join(coreSrc, file));
  if (source === undefined) throw new Error(`no source ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const symbol = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name);
  if (symbol === undefined) throw new Error(`${file} does not export ${name}`);
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return checker.getDeclaredTypeOfSymbol(target);
}

/** The TSDoc text of a property, on one line. */
function docOf(symbol) {
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker));
  const tags = symbol
    .getJsDocTags(checker)
    .filter((t) => t.name === 'default' || t.name === 'defaultValue')
    .map((t) => ts.displayPartsToString(t.text));
  return { text: text.replace(/\s*\n\s*/g, ' ').trim(), defaultTag: tags[0] };
}

/** The TSDoc of an option group's own type, for a property documented only by its type. */
function typeDocOf(type) {
  const found = nestedOptionType(checker.getNonNullableType(elementType(type) ?? type));
  const symbol = found && (found.type.aliasSymbol ?? found.type.getSymbol());
  return symbol ? docOf(symbol) : { text: '', defaultTag: undefined };
}

/** Splits "… Default 5000." out of a description. */
function splitDefault(text, defaultTag) {
  if (defaultTag !== undefined) return { description: text, defaultValue: defaultTag.trim() };
  const match = /(?:^|(?<=[.;)]\s))Default(?:s)?(?: is)?[:\s]\s*(.+?)(?:\.(?=\s|$)|$)/.exec(text);
  if (match === null) return { description: text, defaultValue: undefined };
  const description = (text.slice(0, match.index) + text.slice(match.index + match[0].length))
    .replace(/\s+/g, ' ')
    .trim();
  return { description, defaultValue: match[1].trim() };
}

/** Object members of a type: the properties of every member of a union or intersection. */
function propertiesOf(type) {
  const byName = new Map();
  // In `{ jwksUri } | { keys }`, each member declares the others `never`: keep the real one.
  const isNever = (p) =>
    checker.getNonNullableType(checker.getTypeOfSymbol(p)).flags & ts.TypeFlags.Never;
  const add = (t) => {
    for (const p of checker.getPropertiesOfType(t)) {
      const known = byName.get(p.name);
      if (known === undefined || (isNever(known) && !isNever(p))) byName.set(p.name, p);
    }
  };
  if (type.isUnion()) for (const member of type.types) add(member);
  else add(type);
  return [...byName.values()];
}

/** The option types worth their own rows: named `…Options` and declared in our sources. */
function nestedOptionType(type) {
  const candidates = type.isUnion() ? [type, ...type.types] : [type];
  for (const candidate of candidates) {
    for (const part of [candidate, ...(candidate.isIntersection() ? candidate.types : [])]) {
      const symbol = part.aliasSymbol ?? part.getSymbol();
      const declaration = symbol?.declarations?.[0];
      if (
        symbol !== undefined &&
        /Options$/.test(symbol.name) &&
        declaration?.getSourceFile().fileName.startsWith(coreSrc)
      ) {
        return { type: candidate, name: symbol.name };
      }
    }
  }
  return undefined;
}

function elementType(type) {
  const nonNullable = checker.getNonNullableType(type);
  if (checker.isArrayType(nonNullable)) return checker.getTypeArguments(nonNullable)[0];
  return undefined;
}

function typeText(symbol, declaration) {
  const node = declaration?.type;
  const text = node
    ? node.getText().replace(/\s+/g, ' ')
    : checker.typeToString(checker.getTypeOfSymbol(symbol));
  // A type parameter (the adapters' `requestProperty`) is a property name.
  if (
    checker.getNonNullableType(checker.getTypeOfSymbol(symbol)).flags & ts.TypeFlags.TypeParameter
  )
    return 'string';
  return text.replace(/^readonly /, '');
}

/**
 * A union discriminated by `method` (the client authentication methods): one row per method,
 * naming its members (required ones plain, optional ones with `?`) and their docs.
 */
function variantRows(type, path) {
  if (!type.isUnion()) return [];
  const variants = [];
  for (const member of type.types) {
    const method = checker.getPropertyOfType(member, 'method');
    const methodType = method && checker.getNonNullableType(checker.getTypeOfSymbol(method));
    if (methodType === undefined) return [];
    const names = methodType.isUnion() ? methodType.types : [methodType];
    if (!names.every((t) => t.isStringLiteral())) return [];
    const fields = propertiesOf(member).filter((p) => p.name !== 'method');
    const notes = fields
      .map((p) => ({ name: p.name, ...splitDefault(docOf(p).text, docOf(p).defaultTag) }))
      .filter((f) => f.description !== '' || f.defaultValue !== undefined)
      .map(
        (f) =>
          `\`${f.name}\`: ${f.description}${f.defaultValue ? ` Default ${f.defaultValue}.` : ''}`,
      );
    const members = fields
      .map((p) => `${p.name}${p.flags & ts.SymbolFlags.Optional ? '?' : ''}`)
      .join(', ');
    for (const name of names) {
      variants.push({
        path: `${path} (method '${name.value}')`,
        type: `{ method: '${name.value}', ${members} }`,
        defaultValue: '—',
        description: notes.join(' '),
      });
    }
  }
  return variants;
}

/** Rows for every property of `type`, descending into nested option groups once. */
function rowsOf(type, prefix, seen) {
  const rows = [];
  for (const property of propertiesOf(type)) {
    if (property.name.startsWith('_')) continue;
    const declaration = property.declarations?.[0];
    const path = `${prefix}${property.name}`;
    const own = docOf(property);
    const { text, defaultTag } =
      own.text === '' ? typeDocOf(checker.getTypeOfSymbol(property)) : own;
    const { description, defaultValue } = splitDefault(text, defaultTag);
    const propertyType = checker.getTypeOfSymbol(property);
    const item = elementType(propertyType);
    const nested = nestedOptionType(checker.getNonNullableType(item ?? propertyType));
    const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
    rows.push({
      path,
      type: typeText(property, declaration),
      defaultValue: defaultValue ?? (optional ? '—' : 'required'),
      description,
    });
    rows.push(...variantRows(checker.getNonNullableType(propertyType), path));
    if (nested === undefined) continue;
    if (seen.has(nested.name)) {
      rows[rows.length - 1].description +=
        ` Its members are those of \`${seen.get(nested.name)}\` above.`;
      continue;
    }
    seen.set(nested.name, path);
    rows.push(...rowsOf(nested.type, item ? `${path}[].` : `${path}.`, seen));
  }
  return rows;
}

/** DEFAULTS from the defaults file: its values (evaluated) and each entry's comment. */
async function readDefaults() {
  const file = join(coreSrc, 'options/defaults.ts');
  const text = readFileSync(file, 'utf8');
  const js = ts.transpileModule(text, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const { DEFAULTS } = await import(`data:text/javascript,${encodeURIComponent(js)}`);
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const comments = new Map();
  const visit = (node) => {
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name)) {
      const jsDoc = ts
        .getJSDocCommentsAndTags(node)
        .map((d) => ts.getTextOfJSDocComment(d.comment) ?? '');
      comments.set(node.name.text, jsDoc.join(' ').replace(/\s+/g, ' ').trim());
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return Object.entries(DEFAULTS).map(([key, value]) => ({
    key,
    value,
    comment: comments.get(key) ?? '',
  }));
}

/** A default stated in an option's doc must be the defaults file's value for that option. */
function checkAgainstDefaults(rows, defaults) {
  const problems = [];
  for (const { key, value } of defaults) {
    if (typeof value !== 'number' && typeof value !== 'string') continue;
    for (const row of rows) {
      const leaf = row.path.split('.').at(-1).replace('[]', '');
      const group = row.path.split('.').at(-2);
      const sameName =
        leaf === key ||
        (group !== undefined && `${group}${leaf[0].toUpperCase()}${leaf.slice(1)}` === key);
      if (!sameName || row.defaultValue === '—') continue;
      // A default that names another option (`http.timeoutMs`) is checked at that option.
      if (/^`?[A-Za-z]+\.[A-Za-z]/.test(row.defaultValue)) continue;
      const stated = row.defaultValue.replace(/[`'_]/g, '').split(/[\s;(,]/)[0];
      if (stated !== String(value)) {
        problems.push(
          `${row.path}: the docs say "Default ${row.defaultValue}", defaults.ts says ${key} = ${value}`,
        );
      }
    }
  }
  if (problems.length > 0)
    throw new Error(`option docs contradict defaults.ts:\n${problems.join('\n')}`);
}

const cell = (text) => text.replace(/\n/g, ' ').replace(/\|(?<!\\\|)/g, '\\|');

async function render() {
  const defaults = await readDefaults();
  const lines = [
    '# Options reference',
    '',
    '<!-- Generated by scripts/docs/generate-options.js from the option types and',
    '     packages/core/src/options/defaults.ts: edit those, then run `pnpm docs:options`. -->',
    '',
  ];
  for (const root of ROOTS) {
    const rows = rowsOf(exportedType(root.file, root.type), '', new Map());
    checkAgainstDefaults(rows, defaults);
    lines.push(
      `## ${root.title}`,
      '',
      root.intro,
      '',
      '| option | type | default | meaning |',
      '|---|---|---|---|',
    );
    for (const row of rows) {
      lines.push(
        `| \`${row.path}\` | \`${cell(row.type)}\` | ${cell(row.defaultValue)} | ${cell(row.description)} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '## Every default',
    '',
    'The values the guard uses when an option is not set, from `packages/core/src/options/defaults.ts`.',
    '',
    '| name | value | meaning |',
    '|---|---|---|',
    ...defaults.map(
      ({ key, value, comment }) =>
        `| \`${key}\` | \`${JSON.stringify(value)}\` | ${cell(comment)} |`,
    ),
    '',
  );
  return lines.join('\n');
}

const text = await render();
if (process.argv.includes('--check')) {
  const committed = readFileSync(output, 'utf8');
  if (committed !== text) {
    console.error(
      'docs/options.md is stale: run `npx --yes pnpm@12.4.2 docs:options` and commit it.',
    );
    process.exit(1);
  }
  console.log('options: docs/options.md matches the option types and defaults.ts');
} else {
  writeFileSync(output, text);
  console.log(`wrote docs/options.md (${text.split('\n').length} lines)`);
}
