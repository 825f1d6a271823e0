/**
 * The core's layers, bottom first, and the rules `pnpm lint` checks against the code's own
 * imports (type-only imports included): no import circle anywhere, and no import from a
 * layer into one above it. A module may import its own layer and any layer below.
 *
 * - base: what every module may use — the error classes, the public request and claim
 *   types, the challenge builder, the small helpers under `internal/`, and the option
 *   helpers every feature reads: the defaults (one file), the option validators, the key
 *   lists and the table of renamed options.
 * - tools: parts that know no option and no identity service — the result cache, token
 *   extraction, step-up checks, health, metrics, the auth context.
 * - options: the option types, the default logger, the RFC 9728 audience rule, the bounds of
 *   one endpoint's calls.
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
  [
    'base',
    [
      'internal/',
      'http/',
      'errors.ts',
      'types.ts',
      'validation-trace.ts',
      'options/defaults.ts',
      'options/validators.ts',
      'options/option-keys.ts',
      'options/renamed-options.ts',
    ],
  ],
  ['tools', ['cache/', 'token/', 'step-up/', 'health/', 'metrics/', 'auth-context.ts']],
  [
    'options',
    [
      'options/types.ts',
      'options/console-logger.ts',
      'options/resource-audience.ts',
      'options/call-bounds.ts',
    ],
  ],
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
