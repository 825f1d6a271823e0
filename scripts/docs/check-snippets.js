// Every TypeScript/JavaScript code block of the README and docs/ is a test:
// - each is type-checked under `strict` with `module: nodenext`, against the built packages
//   as a user's project sees them (examples/ depends on every @tokenguard package);
// - a block that is deliberately partial is marked `<!-- snippet: partial context=NAME -->`
//   and checked with the declarations of scripts/docs/snippet-contexts/NAME.ts (only those
//   the block does not declare itself);
// - a block marked `<!-- snippet: run server -->` is run with node against @tokenguard/testing
//   (its `127.0.0.1:4000` issuer and its port 3000 are replaced by free ports): it must answer
//   GET /orders 401 without a token, 200 with a JWT carrying `orders:read`, 401 with an expired one;
// - blocks whose first line is `// <file>.ts` are files of one project per page; its
//   `*.test.ts` files are run with vitest.
// Run after `pnpm build`: node scripts/docs/check-snippets.js
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { markdownPages } from './markdown-pages.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = join(root, 'examples/.snippets');
const contextsDir = join(root, 'scripts/docs/snippet-contexts');
const LANGUAGES = new Set(['js', 'ts', 'javascript', 'typescript']);

/** Code blocks with their directives: `<!-- snippet: ... -->` on the line before the fence. */
function blocksOf(page) {
  const lines = readFileSync(page, 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w+)\s*$/.exec(lines[i]);
    if (open === null) continue;
    const indent = open[1].length;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    if (LANGUAGES.has(open[2])) {
      const directive = /<!--\s*snippet:\s*(.*?)\s*-->/.exec(lines[i - 1] ?? '')?.[1] ?? '';
      blocks.push({
        page,
        line: i + 1,
        code: lines
          .slice(i + 1, end)
          .map((l) => l.slice(indent))
          .join('\n'),
        partial: /\bpartial\b/.test(directive),
        context: /\bcontext=([\w-]+)/.exec(directive)?.[1],
        run: /\brun server\b/.test(directive),
        file: /^\/\/ ([\w.-]+\.ts)$/.exec(lines[i + 1]?.slice(indent) ?? '')?.[1],
      });
    }
    i = end;
  }
  return blocks;
}

/** Names a block declares at its top level (imports, variables, functions, classes, types). */
function declaredNames(code) {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true);
  const names = new Set();
  const addBinding = (name) => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else
      for (const element of name.elements ?? [])
        if (!ts.isOmittedExpression(element)) addBinding(element.name);
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) names.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings))
        for (const e of bindings.elements) names.add(e.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) addBinding(d.name);
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement)) &&
      statement.name
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

/** The context's declarations the block does not make itself; one declaration per line. */
function contextFor(block) {
  if (block.context === undefined) return '';
  const text = readFileSync(join(contextsDir, `${block.context}.ts`), 'utf8');
  const own = declaredNames(block.code);
  return text
    .split('\n')
    .filter((line) => {
      const name = /^declare (?:const|function|class|let) (\w+)/.exec(line)?.[1];
      return name === undefined ? !line.startsWith('//') : !own.has(name);
    })
    .join('\n');
}

function slugOf(page) {
  return basename(page, '.md').toLowerCase();
}

const pages = markdownPages(root);
const blocks = pages.flatMap(blocksOf);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// Write every block as a module of its own (a page's named files share a folder).
const files = [];
const projects = new Map();
for (const [index, block] of blocks.entries()) {
  let path;
  if (block.file !== undefined) {
    const dir = join(work, `${slugOf(block.page)}-files`);
    mkdirSync(dir, { recursive: true });
    path = join(dir, block.file);
    projects.set(dir, [...(projects.get(dir) ?? []), block]);
    writeFileSync(path, block.code.endsWith('\n') ? block.code : `${block.code}\n`);
  } else {
    path = join(work, `${slugOf(block.page)}-${String(index).padStart(3, '0')}.ts`);
    const context = contextFor(block);
    // `export {}`: a module (top-level await, own scope) even when the block imports nothing.
    writeFileSync(
      path,
      `${block.code}\n${context ? `\n// context: ${block.context}\n${context}\n` : ''}export {};\n`,
    );
  }
  block.path = path;
  files.push(path);
}
writeFileSync(
  join(work, 'tsconfig.json'),
  JSON.stringify(
    {
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        noEmit: true,
        skipLibCheck: true,
        // NestJS apps compile with legacy decorators, as Nest's own starter sets them.
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
      },
      include: ['./**/*.ts'],
    },
    null,
    2,
  ),
);
writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module', private: true }));

const where = (block) => `${relative(root, block.page)}:${block.line}`;
const failures = [];

// 1. Type-check them all in one program.
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', work],
  {
    encoding: 'utf8',
  },
);
if (tsc.status !== 0) {
  for (const line of tsc.stdout.split('\n').filter((l) => /error TS/.test(l))) {
    const file = line.slice(0, line.indexOf('('));
    const block = blocks.find(
      (b) => relative(root, b.path) === file || relative(work, b.path) === file,
    );
    failures.push(`${block ? where(block) : file}: ${line.slice(line.indexOf('error'))}`);
  }
  if (failures.length === 0) failures.push(tsc.stdout || tsc.stderr);
}

// 2. Run the runnable ones.
const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function runServerBlock(block) {
  const { createIdentityServer } = await import(join(root, 'packages/testing/dist/index.js'));
  const port = await freePort();
  const idp = await createIdentityServer({ port: 0 });
  const code = block.code
    .replaceAll('http://127.0.0.1:4000', idp.issuer)
    .replace(/listen\(3000\b/, `listen(${port}`)
    .replace('http://127.0.0.1:3000', `http://127.0.0.1:${port}`);
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = block.path.replace(/\.ts$/, '.run.mjs');
  writeFileSync(file, js);
  const child = spawn(process.execPath, [file], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const up = await fetch(`${base}/orders`).then(
        () => true,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`did not listen:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const get = (token) =>
      fetch(`${base}/orders`, token ? { headers: { authorization: `Bearer ${token}` } } : {}).then(
        (r) => r.status,
      );
    const answers = {
      none: await get(),
      valid: await get(await idp.mintJwt({ scope: 'orders:read' })),
      expired: await get(await idp.mintBadJwt('expired', { scope: 'orders:read' })),
    };
    if (answers.none !== 401 || answers.valid !== 200 || answers.expired !== 401) {
      throw new Error(`answers ${JSON.stringify(answers)}, expected 401, 200, 401\n${output}`);
    }
  } finally {
    child.kill();
    await idp.close();
  }
}

let run = 0;
if (failures.length === 0) {
  for (const block of blocks.filter((b) => b.run)) {
    try {
      await runServerBlock(block);
      run++;
    } catch (error) {
      failures.push(`${where(block)}: ${error.message}`);
    }
  }
  for (const [dir, projectBlocks] of projects) {
    const tests = projectBlocks.filter((b) => b.file.endsWith('.test.ts'));
    if (tests.length === 0) continue;
    writeFileSync(
      join(dir, 'vitest.config.js'),
      'export default { test: { testTimeout: 20000 } };\n',
    );
    const vitest = spawnSync(
      process.execPath,
      [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--root', dir, '--maxWorkers=1'],
      { encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    );
    if (vitest.status === 0) run += projectBlocks.length;
    else failures.push(`${relative(root, dir)}: vitest failed\n${vitest.stdout}${vitest.stderr}`);
  }
}

if (failures.length > 0) {
  console.error(`snippets: ${failures.length} problem(s)\n${failures.join('\n')}`);
  process.exit(1);
}
const partial = blocks.filter((b) => b.partial).length;
console.log(
  `snippets: ${blocks.length} code blocks type-checked (strict, module nodenext; ${partial} partial with a declared context), ${run} run`,
);
