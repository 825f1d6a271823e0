// The public surface of every package, one API report per entry point (package.json
// `exports`), written by API Extractor from the built declaration files into
// packages/<name>/api/<name>[-<subpath>].api.md and committed, so every change of the surface
// shows in review.
//
// API Extractor leaves out type augmentations (`declare global`, `declare module '…'`), and the
// adapters' typed `req.auth` / `request.auth` / `ctx.state.auth` are exactly that: each
// package's augmentations go, comments left out, into <name>-augmentations.api.md beside it.
//
//   node scripts/api-report.js           check: fails when a report differs from the build
//   node scripts/api-report.js --update  rewrite the reports from the build
//
// Needs `pnpm build` first (it reads dist/**/*.d.ts, what consumers get).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor';
import ts from 'typescript';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const update = process.argv.includes('--update');
const temp = mkdtempSync(join(tmpdir(), 'tokenguard-api-'));

/** Every entry point with types: `.` and each subpath, from the ESM `types` condition. */
function entryPoints(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const unscoped = manifest.name.replace(/^@[^/]+\//, '');
  return Object.entries(manifest.exports ?? {})
    .filter(([, target]) => typeof target === 'object' && target.import?.types)
    .map(([subpath, target]) => ({
      name: subpath === '.' ? unscoped : `${unscoped}-${subpath.slice(2).replaceAll('/', '-')}`,
      types: join(packageDir, target.import.types),
    }));
}

// What the report carries beside the signatures: a type the surface uses but does not export
// ("forgotten export") is written into the report as a note, so review sees it; release tags
// (@public, @beta) and TSDoc syntax are not this project's conventions (TypeDoc reads the docs).
const messages = {
  compilerMessageReporting: { default: { logLevel: 'error' } },
  extractorMessageReporting: {
    default: { logLevel: 'error', addToApiReportFile: true },
    'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
    'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
    'ae-internal-missing-underscore': { logLevel: 'none', addToApiReportFile: false },
    // Its notes carry source line numbers: every unrelated edit would change the report.
    'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
  },
  tsdocMessageReporting: { default: { logLevel: 'none', addToApiReportFile: false } },
};

/** The augmentation blocks of a package's ESM declaration files, printed without comments. */
function augmentations(packageDir) {
  const dist = join(packageDir, 'dist');
  const printer = ts.createPrinter({ removeComments: true });
  const blocks = [];
  for (const name of readdirSync(dist, { recursive: true }).sort()) {
    if (!name.endsWith('.d.ts') || name.startsWith('cjs')) continue;
    const text = readFileSync(join(dist, name), 'utf8');
    if (!/declare (global|module)/.test(text)) continue;
    const source = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
    for (const statement of source.statements) {
      if (ts.isModuleDeclaration(statement)) {
        blocks.push(`// ${name}\n${printer.printNode(ts.EmitHint.Unspecified, statement, source)}`);
      }
    }
  }
  return blocks;
}

/** Writes or checks one plain report; returns whether it differed. */
function plainReport(file, text) {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (current === text) return false;
  if (update) writeFileSync(file, text);
  return true;
}

let changed = 0;
let failed = 0;
const packages = readdirSync(join(root, 'packages')).sort();
for (const dir of packages) {
  const packageDir = join(root, 'packages', dir);
  for (const entry of entryPoints(packageDir)) {
    if (!existsSync(entry.types)) {
      console.error(`${entry.types} is missing: run \`pnpm build\` first`);
      process.exit(2);
    }
    mkdirSync(join(packageDir, 'api'), { recursive: true });
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: packageDir,
        mainEntryPointFilePath: entry.types,
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2023'],
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              skipLibCheck: true,
              types: ['node'],
            },
            files: [entry.types],
          },
        },
        apiReport: {
          enabled: true,
          reportFileName: entry.name,
          reportFolder: join(packageDir, 'api'),
          reportTempFolder: join(temp, dir),
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages,
      },
      configObjectFullPath: join(packageDir, 'api-extractor.json'),
      packageJsonFullPath: join(packageDir, 'package.json'),
    });
    const result = Extractor.invoke(config, {
      localBuild: update,
      messageCallback(message) {
        // Progress notes (which compiler it bundles, which files it reads) are not findings.
        if (
          message.logLevel === ExtractorLogLevel.Info ||
          message.logLevel === ExtractorLogLevel.Verbose
        ) {
          message.handled = true;
        }
      },
    });
    const report = `packages/${dir}/api/${entry.name}.api.md`;
    if (result.apiReportChanged) {
      changed += 1;
      console.error(
        update ? `updated ${report}` : `${report} differs from the public surface of the build`,
      );
    }
    if (!result.succeeded && !(update && result.errorCount === 0)) failed += 1;
  }
  const blocks = augmentations(packageDir);
  if (blocks.length > 0) {
    const name = entryPoints(packageDir)[0].name;
    const report = `packages/${dir}/api/${name}-augmentations.api.md`;
    const text = `## Type augmentations of "${JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).name}"\n\n> Do not edit this file. It is written by \`pnpm api:update\` from the built declaration files.\n\n\`\`\`ts\n${blocks.join('\n\n')}\n\`\`\`\n`;
    if (plainReport(join(root, report), text)) {
      changed += 1;
      console.error(
        update ? `updated ${report}` : `${report} differs from the public surface of the build`,
      );
    }
  }
}
rmSync(temp, { recursive: true, force: true });
if (!update && (changed > 0 || failed > 0)) {
  console.error(
    '\nThe public surface changed: review it, then `pnpm api:update` and commit the reports.',
  );
  process.exit(1);
}
if (failed > 0) process.exit(1);
console.log(update ? `API reports: ${changed} updated` : 'API reports match the build');
