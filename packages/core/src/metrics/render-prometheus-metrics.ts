/**
 * Renders `guard.metrics()` in the Prometheus text exposition format (version 0.0.4), so a
 * `/metrics` route needs no metrics library: counters by strategy, cache tier, error code
 * and reason code, the breaker state, and a histogram of upstream call latency by purpose.
 * Fields this module does not know (added by a newer core or a store) are still exposed,
 * as `untyped` samples named after their path.
 */
import type { LatencyHistogramSnapshot } from './create-latency-histogram.js';

/** The `Content-Type` of the exposition. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface PrometheusOptions {
  /** Metric name prefix. Default `'tokenguard'`. */
  readonly prefix?: string;
  /** Constant labels added to every sample (e.g. `{ guard: 'orders' }` for several guards). */
  readonly labels?: Readonly<Record<string, string>>;
}

type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'untyped';
  readonly help: string;
  readonly samples: Array<{ suffix?: string; labels: Labels; value: number }>;
}

/** Flat counters: metrics field → [metric name, help]. */
const COUNTERS: Readonly<Record<string, readonly [string, string]>> = {
  cacheHits: ['cache_hits_total', 'Validations answered from the cache.'],
  cacheMisses: ['cache_misses_total', 'Validations the cache could not answer.'],
  upstreamCalls: ['upstream_calls_total', 'Introspection calls sent to the identity service.'],
  coalesced: ['coalesced_total', 'Requests that waited on another request’s validation.'],
  jwksFetches: ['jwks_fetches_total', 'JWK Set fetches.'],
  tokenEndpointCalls: [
    'token_endpoint_calls_total',
    'Token endpoint calls for our own credentials.',
  ],
  rejectedByConcurrencyCap: [
    'rejected_by_concurrency_cap_total',
    'Requests refused because the upstream concurrency cap stayed full.',
  ],
  rejectedByBreaker: [
    'rejected_by_breaker_total',
    'Requests answered 503 at once because the circuit breaker was open.',
  ],
  sharedHits: ['shared_hits_total', 'Of the cache hits, those answered by the shared store.'],
  storeHits: ['store_hits_total', 'Shared-store lookups that found an entry.'],
  storeMisses: ['store_misses_total', 'Shared-store lookups that found none.'],
  storeErrors: ['store_errors_total', 'Shared-store calls that failed (each cost a miss).'],
  storeTimeouts: [
    'store_timeouts_total',
    'Shared-store calls past their deadline (each cost a miss).',
  ],
  evictions: ['evictions_total', 'evict and evictSubject calls.'],
  servedStale: [
    'served_stale_total',
    'Requests served from an expired cache entry during an identity-service outage.',
  ],
};

/** Counters with one label: metrics field → [metric name, label, help]. */
const LABELLED: Readonly<Record<string, readonly [string, string, string]>> = {
  errors: ['errors_total', 'code', 'Refusals by RFC 6750 error code.'],
  reasons: ['refusals_total', 'reason', 'Refusals by stable reason code.'],
  byStrategy: [
    'validations_total',
    'strategy',
    'Validated tokens by the strategy that validated them.',
  ],
  byCacheTier: [
    'validations_by_tier_total',
    'tier',
    'Validations by the cache tier that answered (none: validated afresh).',
  ],
};

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

/**
 * @example
 * app.get('/metrics', (_req, res) =>
 *   res.type(PROMETHEUS_CONTENT_TYPE).send(renderPrometheusMetrics(guard.metrics())));
 */
export function renderPrometheusMetrics(metrics: object, options: PrometheusOptions = {}): string {
  const prefix = sanitizeName(options.prefix ?? 'tokenguard');
  const constant = options.labels ?? {};
  const families: Family[] = [];
  const family = (name: string, type: Family['type'], help: string): Family => {
    const created: Family = { name: `${prefix}_${name}`, type, help, samples: [] };
    families.push(created);
    return created;
  };

  for (const [field, value] of Object.entries(metrics)) {
    const counter = COUNTERS[field];
    const labelled = LABELLED[field];
    if (counter !== undefined && typeof value === 'number') {
      family(counter[0], 'counter', counter[1]).samples.push({ labels: constant, value });
    } else if (labelled !== undefined && isRecord(value)) {
      const target = family(labelled[0], 'counter', labelled[2]);
      for (const [key, count] of Object.entries(value)) {
        if (typeof count === 'number') {
          target.samples.push({ labels: { ...constant, [labelled[1]]: key }, value: count });
        }
      }
    } else if (field === 'breakerState' && typeof value === 'string') {
      const target = family(
        'breaker_state',
        'gauge',
        'Circuit breaker state (1 for the current one).',
      );
      for (const state of BREAKER_STATES) {
        target.samples.push({ labels: { ...constant, state }, value: state === value ? 1 : 0 });
      }
    } else if (field === 'issuers' && isRecord(value)) {
      addIssuers(family, value, constant);
    } else if (field === 'upstreamLatency' && isRecord(value)) {
      const target = family(
        'upstream_duration_seconds',
        'histogram',
        'Latency of upstream HTTP calls by purpose (introspection, jwks, discovery, token).',
      );
      for (const [purpose, snapshot] of Object.entries(value)) {
        if (isHistogram(snapshot)) addHistogram(target, { ...constant, purpose }, snapshot);
      }
    } else {
      addUntyped(family, sanitizeName(snakeCase(field)), value, constant, 0);
    }
  }
  return families
    .filter((f) => f.samples.length > 0)
    .map((f) => {
      const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
      for (const sample of f.samples) {
        lines.push(
          `${f.name}${sample.suffix ?? ''}${renderLabels(sample.labels)} ${formatValue(sample.value)}`,
        );
      }
      return lines.join('\n');
    })
    .join('\n')
    .concat('\n');
}

/**
 * Several issuers: each issuer's counters and breaker as `issuer_*` families with an
 * `issuer` label (an issuer URL is a label value, never part of a metric name).
 */
function addIssuers(
  family: (name: string, type: Family['type'], help: string) => Family,
  issuers: Record<string, unknown>,
  constant: Labels,
): void {
  const families = new Map<string, Family>();
  const familyOf = (name: string, type: Family['type'], help: string): Family => {
    let found = families.get(name);
    if (found === undefined) {
      found = family(`issuer_${name}`, type, help);
      families.set(name, found);
    }
    return found;
  };
  for (const [issuer, counts] of Object.entries(issuers)) {
    if (!isRecord(counts)) continue;
    const labels = { ...constant, issuer };
    for (const [field, value] of Object.entries(counts)) {
      const counter = COUNTERS[field];
      if (counter !== undefined && typeof value === 'number') {
        familyOf(counter[0], 'counter', `Per issuer: ${counter[1]}`).samples.push({
          labels,
          value,
        });
      } else if (field === 'breakerState' && typeof value === 'string') {
        const target = familyOf('breaker_state', 'gauge', 'Per issuer: circuit breaker state.');
        for (const state of BREAKER_STATES) {
          target.samples.push({ labels: { ...labels, state }, value: state === value ? 1 : 0 });
        }
      }
    }
  }
}

function addHistogram(target: Family, labels: Labels, snapshot: LatencyHistogramSnapshot): void {
  let cumulative = 0;
  snapshot.boundsMs.forEach((boundMs, index) => {
    cumulative += snapshot.counts[index] ?? 0;
    target.samples.push({
      suffix: '_bucket',
      labels: { ...labels, le: formatValue(boundMs / 1000) },
      value: cumulative,
    });
  });
  target.samples.push({
    suffix: '_bucket',
    labels: { ...labels, le: '+Inf' },
    value: snapshot.count,
  });
  target.samples.push({ suffix: '_sum', labels, value: snapshot.sumMs / 1000 });
  target.samples.push({ suffix: '_count', labels, value: snapshot.count });
}

/** Numbers anywhere below an unknown field, named after their path (`store.hits` → `store_hits`). */
function addUntyped(
  family: (name: string, type: Family['type'], help: string) => Family,
  name: string,
  value: unknown,
  labels: Labels,
  depth: number,
): void {
  if (typeof value === 'number' && Number.isFinite(value)) {
    family(name, 'untyped', `The metrics() field ${name}.`).samples.push({ labels, value });
  } else if (typeof value === 'boolean') {
    family(name, 'untyped', `The metrics() field ${name}.`).samples.push({
      labels,
      value: value ? 1 : 0,
    });
  } else if (isRecord(value) && depth < 3) {
    for (const [key, inner] of Object.entries(value)) {
      addUntyped(family, `${name}_${sanitizeName(snakeCase(key))}`, inner, labels, depth + 1);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHistogram(value: unknown): value is LatencyHistogramSnapshot {
  return (
    isRecord(value) &&
    Array.isArray(value.boundsMs) &&
    Array.isArray(value.counts) &&
    typeof value.count === 'number' &&
    typeof value.sumMs === 'number'
  );
}

function renderLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${sanitizeName(k)}="${escapeLabel(v)}"`).join(',')}}`;
}

/** Exposition format: label values escape backslash, double quote and line feed. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function snakeCase(value: string): string {
  return value.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Metric and label names: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
function sanitizeName(value: string): string {
  const cleaned = value.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(cleaned) ? cleaned : `_${cleaned}`;
}
