import { describe, expect, it } from 'vitest';
import { createLatencyHistogram } from '../../src/metrics/create-latency-histogram.js';
import {
  PROMETHEUS_CONTENT_TYPE,
  renderPrometheusMetrics,
} from '../../src/metrics/render-prometheus-metrics.js';

/** Parses the exposition back into `name{labels} → value`, checking every line's syntax. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/.exec(
        line,
      );
    expect(match, line).not.toBeNull();
    samples.set(`${match?.[1]}${match?.[2] ?? ''}`, Number(match?.[3]));
  }
  return samples;
}

describe('latency histogram', () => {
  it('puts each observation in the first bucket whose bound it does not exceed', () => {
    const histogram = createLatencyHistogram([10, 100]);
    for (const ms of [1, 10, 11, 100, 101, 5000]) histogram.observe(ms);
    expect(histogram.snapshot()).toEqual({
      boundsMs: [10, 100],
      counts: [2, 2, 2],
      sumMs: 5223,
      count: 6,
    });
  });
});

describe('Prometheus text exposition of metrics()', () => {
  const histogram = createLatencyHistogram([5, 50]);
  histogram.observe(3);
  histogram.observe(20);
  histogram.observe(70);
  const metrics = {
    cacheHits: 7,
    cacheMisses: 3,
    upstreamCalls: 3,
    coalesced: 1,
    jwksFetches: 0,
    tokenEndpointCalls: 0,
    rejectedByConcurrencyCap: 0,
    rejectedByBreaker: 2,
    breakerState: 'open',
    errors: { invalid_token: 4, temporarily_unavailable: 2 },
    reasons: { token_expired: 3, token_inactive: 1 },
    byStrategy: { introspection: 6, jwt: 4 },
    byCacheTier: { local: 5, shared: 2, none: 3 },
    upstreamLatency: { introspection: histogram.snapshot() },
    store: { hits: 2, errors: 1, reachable: true },
  };

  it('renders counters, labelled counters, the breaker gauge and the latency histogram', () => {
    const text = renderPrometheusMetrics(metrics);
    const samples = parse(text);
    expect(samples.get('tokenguard_cache_hits_total')).toBe(7);
    expect(samples.get('tokenguard_rejected_by_breaker_total')).toBe(2);
    expect(samples.get('tokenguard_errors_total{code="invalid_token"}')).toBe(4);
    expect(samples.get('tokenguard_refusals_total{reason="token_expired"}')).toBe(3);
    expect(samples.get('tokenguard_validations_total{strategy="jwt"}')).toBe(4);
    expect(samples.get('tokenguard_validations_by_tier_total{tier="shared"}')).toBe(2);
    expect(samples.get('tokenguard_breaker_state{state="open"}')).toBe(1);
    expect(samples.get('tokenguard_breaker_state{state="closed"}')).toBe(0);
    expect(
      samples.get(
        'tokenguard_upstream_duration_seconds_bucket{purpose="introspection",le="0.005"}',
      ),
    ).toBe(1);
    expect(
      samples.get('tokenguard_upstream_duration_seconds_bucket{purpose="introspection",le="0.05"}'),
    ).toBe(2);
    expect(
      samples.get('tokenguard_upstream_duration_seconds_bucket{purpose="introspection",le="+Inf"}'),
    ).toBe(3);
    expect(
      samples.get('tokenguard_upstream_duration_seconds_sum{purpose="introspection"}'),
    ).toBeCloseTo(0.093);
    expect(samples.get('tokenguard_upstream_duration_seconds_count{purpose="introspection"}')).toBe(
      3,
    );
    // Fields the renderer does not know are still exposed, named after their path.
    expect(samples.get('tokenguard_store_hits')).toBe(2);
    expect(samples.get('tokenguard_store_reachable')).toBe(1);
    expect(text).toContain('# TYPE tokenguard_cache_hits_total counter\n');
    expect(text).toContain('# TYPE tokenguard_upstream_duration_seconds histogram\n');
    expect(text).toContain('# TYPE tokenguard_breaker_state gauge\n');
  });

  it('each family is declared once, before its samples', () => {
    const text = renderPrometheusMetrics(metrics);
    const declared = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(declared).size).toBe(declared.length);
  });

  it('constant labels and a prefix; label values are escaped', () => {
    const text = renderPrometheusMetrics(
      { cacheHits: 1, errors: { 'odd"code\\\n': 1 } },
      { prefix: 'api_auth', labels: { guard: 'orders' } },
    );
    const samples = parse(text);
    expect(samples.get('api_auth_cache_hits_total{guard="orders"}')).toBe(1);
    expect(samples.get('api_auth_errors_total{guard="orders",code="odd\\"code\\\\\\n"}')).toBe(1);
  });

  it('has the exposition content type', () => {
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
