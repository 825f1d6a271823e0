// Fresh consumer projects on Bun and Deno against the packed packages (see .ci/consumers/README.md).
// Usage: node .ci/runtime-consumers.js --bun <path to bun> --deno <path to deno>
// Needs the packages built (pnpm build) and redis-server on PATH. Exits non-zero on a failure.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values } = parseArgs({ options: { bun: { type: 'string' }, deno: { type: 'string' } } });
if (!values.bun || !values.deno) throw new Error('usage: --bun <path> --deno <path>');
const work = mkdtempSync(join(tmpdir(), 'tokenguard-runtime-consumers-'));
const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(0);

/** Runs a command; resolves its stdout, rejects with its output on a non-zero exit. */
function run(cmd, args, { cwd } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env: process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${code}\n${out}\n${err}`));
    });
  });
}

// 1. Pack every published package exactly as `pnpm publish` would.
const packs = join(work, 'packs');
mkdirSync(packs);
const packageDirs = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private);
await Promise.all(
  packageDirs.map((dir) =>
    run('npx', ['--yes', 'pnpm@12.4.2', 'pack', '--pack-destination', packs], { cwd: dir }),
  ),
);
const tarballs = readdirSync(packs).map((f) => join(packs, f));
/** `tokenguard-core-0.1.0.tgz` → `@tokenguard/core`. */
const packageNameOf = (tarball) =>
  `@tokenguard/${tarball
    .split('/')
    .pop()
    .replace(/^tokenguard-(.+)-\d+\.\d+\.\d+.*\.tgz$/, '$1')}`;
const frameworks = ['express@^5', 'koa@^3', 'fastify@^5', 'hono@^4', 'redis@^6'];
const source = readFileSync(join(root, '.ci', 'consumers', 'runtime-esm.js'), 'utf8');

// 2. Bun: `bun add` of the tarballs into a fresh project; run with `bun`.
// 3. Deno: the tarballs installed by npm (Deno cannot add a local tarball), the imports spelled
//    as `npm:` specifiers resolved from that node_modules (`nodeModulesDir: manual`).
const projects = [
  {
    name: `Bun ${(await run(values.bun, ['--version'])).trim()}`,
    dir: 'bun',
    install: (dir) => {
      // The adapters depend on @tokenguard/core by version: `overrides` points every such
      // range at the packed tarball (not published, so the registry has none).
      const packed = Object.fromEntries(
        tarballs.map((tarball) => [packageNameOf(tarball), `file:${tarball}`]),
      );
      writeFileSync(
        join(dir, 'package.json'),
        `${JSON.stringify({ name: 'consumer', type: 'module', dependencies: packed, overrides: packed })}\n`,
      );
      return run(values.bun, ['add', ...frameworks], { cwd: dir });
    },
    program: source,
    start: ['bun', values.bun, ['index.js']],
  },
  {
    name: (await run(values.deno, ['--version'])).split('\n')[0],
    dir: 'deno',
    install: async (dir) => {
      writeFileSync(join(dir, 'deno.json'), '{ "nodeModulesDir": "manual" }\n');
      await run(
        'npm',
        ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...frameworks],
        { cwd: dir },
      );
    },
    program: source.replace(/^(import .* from ')([^.'][^']*)';$/gm, "$1npm:$2';"),
    start: ['deno', values.deno, ['run', '-A', 'index.js']],
  },
];

const expected = [
  ...['express', 'koa', 'fastify', 'hono on \\w+\\.serve'].flatMap((name) => [
    new RegExp(`^${name}: sample JWT +→ 200 `, 'm'),
    new RegExp(`^${name}: opaque token +→ 200 `, 'm'),
    new RegExp(`^${name}: expired JWT +→ 401 `, 'm'),
    new RegExp(`^${name}: no token +→ 401 `, 'm'),
  ]),
  /^redis: two guards, one opaque token → upstream calls 1 \+ 0$/m,
  /^core: verify → sub jwt-user; refusal is a TokenGuardError: true \(401 invalid_token\)$/m,
];

let failures = 0;
await Promise.all(
  projects.map(async (project) => {
    const dir = join(work, project.dir);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{ "name": "consumer", "type": "module" }\n');
    await project.install(dir);
    writeFileSync(join(dir, 'index.js'), project.program);
  }),
);
console.log(`2 runtime consumer projects installed (${seconds()} s so far)`);
for (const project of projects) {
  const [, binary, args] = project.start;
  console.log(`\n== the packed packages on ${project.name}`);
  try {
    const out = await run(binary, args, { cwd: join(work, project.dir) });
    process.stdout.write(out);
    const missing = expected.filter((re) => !re.test(out));
    if (missing.length > 0) {
      failures++;
      console.error(`FAILED: output does not match ${missing.join(', ')}`);
    }
  } catch (error) {
    failures++;
    console.error(`FAILED: ${error.message}`);
  }
}
rmSync(work, { recursive: true, force: true });
if (failures > 0) {
  console.error(`\nruntime consumers: ${failures} failed (${seconds()} s)`);
  process.exit(1);
}
console.log(`\nruntime consumers: Bun and Deno passed (${seconds()} s)`);
