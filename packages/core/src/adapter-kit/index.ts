/**
 * @tokenguard/core/adapter-kit: what every framework adapter shares, so an adapter keeps
 * only its framework's syntax (see @tokenguard/hono for a whole adapter in ~80 lines).
 *
 * An adapter: `createAdapter(options)` once (options split and checked, guard built or
 * shared); per request `adapter.tag(req)`, a `RequestLike` from `nodeRequestView` or
 * `fetchRequestView`, `guard.authenticate(view, adapter.callContext(req.log, optional))`
 * (it may return synchronously: await only a promise), `adapter.attach(req, auth)`, and on
 * refusal either `adapter.passed(error)` to the framework or `adapter.answer(error, view)`
 * written as status + headers + body. Route helpers come from `createRequirementHelpers`;
 * a helper on an untagged request answers `unguardedAnswer(route, log)`. `adapter.ready()`
 * at startup, `adapter.close()` when the app closes.
 *
 * Extension points (one addition here, at most a line per adapter):
 * - More of the request (method and absolute URL for DPoP, the peer certificate for mTLS,
 *   cookies for another token location): a field on the views in `request-view.ts`, read
 *   by the core; adapters already pass the Node message or the Fetch request whole.
 * - A document or receiver route (RFC 9728 `/.well-known/oauth-protected-resource`, a
 *   Shared Signals receiver): an `Answer`-returning function here (method, path → Answer
 *   or `undefined`), which each adapter's middleware consults before authenticating and
 *   writes with the same one-line write it uses for refusals.
 * - A new adapter option: a key on `AdapterOptions` and `ADAPTER_OPTION_KEYS` (checked
 *   against each other at compile time), normalised in `adapter-options.ts`.
 * - A new route requirement (step-up `requireAuthContext`): one entry in
 *   `createRequirementHelpers`; adapters export the destructured helpers.
 */

export type { AuthResult } from '../guard/authenticate-now.js';
export type { RequestLog } from '../guard-types.js';
export { kAdapter, kGuard } from '../internal/symbols.js';
export {
  type NormalizedRequirements,
  normalizeRequirements,
} from '../policy/normalize-requirements.js';
export { ADAPTER_OPTION_KEYS, type AdapterOptions } from './adapter-options.js';
export {
  type Answer,
  type ErrorFormatter,
  type FormattedError,
  JSON_CONTENT_TYPE,
} from './answer.js';
export { Adapter, adapterOf, createAdapter, type GuardMiddleware } from './create-adapter.js';
export {
  createRequirementHelpers,
  type RequirementHelpers,
  type RouteRequirement,
  unguardedAnswer,
} from './create-requirement-helpers.js';
export {
  createResourceMetadataEndpoint,
  type GuardSource,
  type ResourceMetadataEndpoint,
} from './create-resource-metadata-endpoint.js';
export {
  createSharedSignalsEndpoint,
  type SharedSignalsEndpoint,
  type SharedSignalsRouteOptions,
} from './create-shared-signals-endpoint.js';
export { isGuard } from './is-guard.js';
export { requestLogOf } from './request-log.js';
export {
  fetchRequestView,
  hasFormBody,
  type NodeMessage,
  nodeRequestView,
} from './request-view.js';
export { type GuardSettings, settingsOf } from './settings-of.js';
