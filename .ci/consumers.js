// Fresh consumer projects against the packed packages (see .ci/consumers/README.md).
// Usage: node .ci/consumers.js [--node <path to another node binary>]...
// Needs the packages built (pnpm build). Exits non-zero on the first failure.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
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
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const sources = join(root, '.ci', 'consumers');
const { values } = parseArgs({ options: { node: { type: 'string', multiple: true } } });
const otherNodes = values.node ?? [];
const work = mkdtempSync(join(tmpdir(), 'tokenguard-consumers-'));
const started = Date.now();

/** Runs a command; resolves its stdout, rejects with its output on a non-zero exit. */
function run(cmd, args, { cwd, env, quiet = true } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (!quiet) process.stdout.write(d);
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

const npm = (args, cwd) =>
  run('npm', ['--no-audit', '--no-fund', '--loglevel=error', ...args], { cwd });

const packageDirs = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join(root, 'packages', d.name))
  .filter((dir) => {
    try {
      return !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private;
    } catch {
      return false;
    }
  });

// 0. Every published package is adoptable: license, contacts, engines, and an `import` and a
// `require` condition (each with its types) on every entry point.
const metadataProblems = [];
for (const dir of packageDirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const where = `packages/${dir.split('/').pop()}`;
  const problem = (text) => metadataProblems.push(`${pkg.name} (${where}/package.json): ${text}`);
  if (pkg.license !== 'MIT') problem('"license" must be "MIT"');
  if (!existsSync(join(dir, 'LICENSE'))) problem('no LICENSE file next to package.json');
  if (!pkg.author) problem('no "author"');
  if (!pkg.homepage) problem('no "homepage"');
  if (!pkg.bugs?.url) problem('no "bugs.url"');
  if (!pkg.repository?.url || pkg.repository.directory !== where) {
    problem(`"repository" needs "url" and "directory": "${where}"`);
  }
  if (pkg.engines?.node !== '>=20.19') problem('"engines.node" must be ">=20.19"');
  for (const [entry, target] of Object.entries(pkg.exports ?? {})) {
    if (entry === './package.json') continue;
    for (const condition of ['import', 'require']) {
      if (!target?.[condition]?.types || !target?.[condition]?.default) {
        problem(
          `exports["${entry}"].${condition} needs "types" and "default" (see packages/express)`,
        );
      }
    }
  }
}
if (metadataProblems.length > 0) {
  console.error(`package metadata:\n  ${metadataProblems.join('\n  ')}`);
  process.exit(1);
}
console.log(`package metadata: ${packageDirs.length} packages complete`);

// 1. Pack every published package exactly as `pnpm publish` would.
const packs = join(work, 'packs');
mkdirSync(packs);
await Promise.all(
  packageDirs.map((dir) =>
    run('npx', ['--yes', 'pnpm@12.4.2', 'pack', '--pack-destination', packs], { cwd: dir }),
  ),
);
const tarballs = readdirSync(packs)
  .filter((f) => f.endsWith('.tgz'))
  .map((f) => join(packs, f));
console.log(`packed ${tarballs.length} packages: ${readdirSync(packs).join(', ')}`);

// 2. "Are the types wrong?" on every tarball: every entry point (subpaths included) must
// resolve to matching JavaScript and types under node10, node16 CJS and ESM, and bundler.
const attw = ['--yes', '-p', '@arethetypeswrong/cli@0.18.5', 'attw'];
await run('npx', [...attw, '--version']); // install once, before the parallel runs
const attwResults = await Promise.allSettled(
  tarballs.map((tarball) =>
    run('npx', [...attw, tarball, '--format', 'table-flipped', '--no-color']),
  ),
);
for (const [i, result] of attwResults.entries()) {
  const name = tarballs[i].split('/').pop();
  if (result.status === 'fulfilled') {
    console.log(`attw: ${name} — no problems found`);
  } else {
    console.error(`attw found problems in ${name}:\n${result.reason.message}`);
    process.exit(1);
  }
}
console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s so far)`);

// 3. Four fresh projects, set up in parallel.
const frameworks = [
  'express@^5',
  'koa@^3',
  'fastify@^5',
  'hono@^4',
  '@hono/node-server@^2',
  'redis@^6',
  '@nestjs/common@^12',
  '@nestjs/core@^12',
  '@nestjs/platform-express@^12',
  'reflect-metadata@^0.2',
  'rxjs@^7',
];
const typescript = [
  'typescript@~5.9.3',
  '@types/node@^20.19.0',
  '@types/express@^5',
  '@types/koa@^3',
];
const consumers = [
  {
    name: 'CommonJS JavaScript',
    dir: 'cjs-js',
    type: undefined,
    ts: false,
    source: ['cjs-imports.js', 'checks.js'],
  },
  {
    name: 'CommonJS TypeScript (module: nodenext)',
    dir: 'cjs-ts',
    type: undefined,
    ts: true,
    source: ['consumer.ts'],
  },
  {
    name: 'ES module JavaScript',
    dir: 'esm-js',
    type: 'module',
    ts: false,
    source: ['esm-imports.js', 'checks.js'],
  },
  {
    name: 'ES module TypeScript (module: nodenext)',
    dir: 'esm-ts',
    type: 'module',
    ts: true,
    source: ['consumer.ts'],
  },
];

await Promise.all(
  consumers.map(async (c) => {
    const dir = join(work, c.dir);
    mkdirSync(dir);
    await npm(['init', '-y'], dir);
    if (c.type) await npm(['pkg', 'set', `type=${c.type}`], dir);
    // All tarballs in one install, so the adapters' dependency on @tokenguard/core is met by
    // the packed core rather than looked up on the registry.
    await npm(['install', ...tarballs, ...frameworks, ...(c.ts ? typescript : [])], dir);
    // The two JavaScript programs share their checks; only their imports differ.
    const program = c.source.map((file) => readFileSync(join(sources, file), 'utf8')).join('\n');
    writeFileSync(join(dir, c.ts ? 'index.ts' : 'index.js'), program);
    if (c.ts) {
      copyFileSync(join(sources, 'tsconfig.json'), join(dir, 'tsconfig.json'));
      await run('npx', ['tsc', '-p', '.'], { cwd: dir });
    }
  }),
);
console.log(
  `4 consumer projects installed (${((Date.now() - started) / 1000).toFixed(0)} s so far)`,
);

/** Starts `npx @tokenguard/testing --port 0 --json` in `cwd`; resolves its summary and a stop function. */
function startTestingServer(cwd) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npx', ['@tokenguard/testing', '--port', '0', '--json'], {
      cwd,
      detached: true,
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      reject(new Error(`npx @tokenguard/testing exited ${code}: ${err}`)),
    );
    child.stdout.on('data', (d) => {
      out += d;
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      child.removeAllListeners('close');
      const stop = () =>
        new Promise((done) => {
          child.on('close', (code, signal) => done({ code, signal }));
          process.kill(-child.pid, 'SIGTERM');
        });
      resolvePromise({ json: out.slice(0, newline), stop });
    });
  });
}

const nodes = [process.execPath, ...otherNodes];
let failures = 0;
for (const c of consumers) {
  const dir = join(work, c.dir);
  const server = await startTestingServer(dir);
  try {
    const summary = JSON.parse(server.json);
    for (const node of nodes) {
      const version = (await run(node, ['--version'])).trim();
      console.log(
        `\n== ${c.name} on Node.js ${version}, against npx @tokenguard/testing at ${summary.url}`,
      );
      try {
        const out = await run(node, [c.ts ? 'dist/index.js' : 'index.js'], {
          cwd: dir,
          env: { TOKENGUARD_TESTING: server.json },
          quiet: false,
        });
        const expected = [
          /^express: sample JWT +→ 200 /m,
          /^express: opaque token +→ 200 /m,
          /^express: expired JWT +→ 401 /m,
          /^express: no token +→ 401 /m,
          /^koa: sample JWT +→ 200 /m,
          /^koa: expired JWT +→ 401 /m,
          /^fastify: sample JWT +→ 200 /m,
          /^fastify: expired JWT +→ 401 /m,
          /^hono: sample JWT +→ 200 /m,
          /^hono: opaque token +→ 200 /m,
          /^hono: expired JWT +→ 401 /m,
          /^hono: no token +→ 401 /m,
          /^nest: sample JWT +→ 200 /m,
          /^nest: opaque token +→ 200 /m,
          /^nest: expired JWT +→ 401 /m,
          /^nest: no token +→ 401 /m,
          /^redis: two guards, one opaque token → upstream calls 1 \+ 0$/m,
          /^core: verify → sub in-process.*TokenGuardError: true \(401 invalid_token\)$/m,
        ];
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
  } finally {
    const { code, signal } = await server.stop();
    if (code !== 0 && signal !== 'SIGTERM') {
      failures++;
      console.error(`FAILED: npx @tokenguard/testing ended with ${code ?? signal} on SIGTERM`);
    }
  }
}

rmSync(work, { recursive: true, force: true });
const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (failures > 0) {
  console.error(`\nconsumers: ${failures} failed (${seconds} s)`);
  process.exit(1);
}
console.log(
  `\nconsumers: ${consumers.length} projects × ${nodes.length} Node.js versions passed (${seconds} s)`,
);
