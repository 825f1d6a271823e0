/**
 * The core's layers, bottom first, and the rules `pnpm lint` checks against the code's own
 * imports (type-only imports included): no import circle anywhere, and no import from a
 * layer into one above it. A module may import its own layer and any layer below.
 *
 * - base: what every module may use — the error classes, the public request and claim
 *   types, the challenge builder, and the small helpers under `internal/`.
 * - tools: parts that know no option and no identity service — the result cache, token
 *   extraction, step-up checks, health, metrics, the auth context.
 * - options: the option types, their defaults (one file), the option validators.
 * - features: each feature's own checks and machinery — requirements, sender constraints,
 *   JWT, client authentication, discovery, introspection, RFC 9728 metadata, Shared Signals.
 * - settings: the options resolved, once, into the guard's frozen settings.
 * - guard: the guard's wiring — the per-issuer parts it routes to (`issuers/`: a single
 *   issuer is a router of one), the request pipeline's stages (`pipeline/`: extract, pick
 *   the issuer, verdict, sender constraint, auth context, requirements), and what operators
 *   call (`guard/`).
 * - surface: the entry points (`.`, `./adapter-kit`, `./adapter-exports`).
 */
const CORE = '^packages/core/src/';

/** Layers of `packages/core/src`, bottom first: folders end in `/`, files are named whole. */
const LAYERS = [
  ['base', ['internal/', 'http/', 'errors.ts', 'types.ts', 'validation-trace.ts']],
  ['tools', ['cache/', 'token/', 'step-up/', 'health/', 'metrics/', 'auth-context.ts']],
  ['options', ['options/']],
  [
    'features',
    [
      'policy/',
      'sender-constraint/',
      'jwt/',
      'client-auth/',
      'discovery/',
      'introspection/',
      'resource-metadata/',
      'shared-signals/',
    ],
  ],
  ['settings', ['settings/']],
  ['guard', ['guard/', 'issuers/', 'pipeline/', 'guard-types.ts', 'create-guard.ts']],
  ['surface', ['adapter-kit/', 'index.ts', 'adapter-exports.ts']],
];

const pattern = (entry) => entry.replace(/[.]/g, '\\.') + (entry.endsWith('/') ? '' : '$');
const pathOf = (entries) => `${CORE}(${entries.map(pattern).join('|')})`;

const layerRules = LAYERS.slice(0, -1).map(([name, entries], index) => ({
  name: `core-layer-${name}`,
  severity: 'error',
  comment: `the ${name} layer imports only itself and the layers below it`,
  from: { path: pathOf(entries) },
  to: { path: pathOf(LAYERS.slice(index + 1).flatMap(([, above]) => above)) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'modules that import each other in a loop cannot be read, tested or moved apart',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-layer-unlisted',
      severity: 'error',
      comment: 'every module of the core belongs to a layer: add a new folder to LAYERS',
      from: { path: CORE, pathNot: pathOf(LAYERS.flatMap(([, entries]) => entries)) },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types'] },
  },
};
