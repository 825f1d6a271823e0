import { describe, expectTypeOf, it } from 'vitest';
import {
  type CacheTier,
  createGuard,
  createSharedSignalsReceiver,
  type GuardHealth,
  type LatencyHistogramSnapshot,
  renderPrometheusMetrics,
  type SecurityEventAnswer,
  type SubjectIdentifier,
  type ValidationTrace,
} from '../src/index.js';

const guard = createGuard({ introspection: { endpoint: 'https://idp.example/introspect' } });

describe('operations types', () => {
  it('health(), metricsText() and the operations counters', () => {
    expectTypeOf(guard.health()).toEqualTypeOf<Promise<GuardHealth>>();
    expectTypeOf(guard.health)
      .parameter(0)
      .toEqualTypeOf<{ readonly probe?: boolean; readonly summary?: boolean } | undefined>();
    expectTypeOf<GuardHealth['ready']>().toEqualTypeOf<boolean>();
    expectTypeOf(guard.metricsText()).toEqualTypeOf<string>();
    expectTypeOf(guard.metrics().byCacheTier).toEqualTypeOf<Readonly<Record<CacheTier, number>>>();
    expectTypeOf(guard.metrics().upstreamLatency).toEqualTypeOf<
      Readonly<Record<string, LatencyHistogramSnapshot>>
    >();
    expectTypeOf(renderPrometheusMetrics(guard.metrics(), { labels: { guard: 'a' } })).toBeString();
  });

  it('the trace message names what happened, never the token', () => {
    expectTypeOf<ValidationTrace['cacheTier']>().toEqualTypeOf<'local' | 'shared' | 'none'>();
    expectTypeOf<ValidationTrace['strategy']>().toEqualTypeOf<
      'introspection' | 'jwt' | undefined
    >();
    expectTypeOf<ValidationTrace>().not.toHaveProperty('token');
  });

  it('the Shared Signals receiver takes a guard and answers framework-neutrally', () => {
    const receiver = createSharedSignalsReceiver(guard, {
      issuer: 'https://idp.example',
      jwksUri: 'https://idp.example/jwks',
      audience: 'https://api.example/ssf',
      subjectFor: (id: SubjectIdentifier) => (id.format === 'account' ? 'x' : undefined),
    });
    expectTypeOf(receiver.handle).returns.toEqualTypeOf<Promise<SecurityEventAnswer>>();
    // @ts-expect-error the issuer is required
    createSharedSignalsReceiver(guard, { jwksUri: 'https://x', audience: 'a' });
  });
});
