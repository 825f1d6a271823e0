import { tracingChannel } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { InvalidTokenError } from '../../src/errors.js';
import { startTrace, traceValidation } from '../../src/internal/trace-validation.js';
import type { ValidationTrace } from '../../src/validation-trace.js';

function record() {
  const events: Array<[string, ValidationTrace]> = [];
  const channels = tracingChannel<unknown, ValidationTrace>('tokenguard:validate');
  const handlers = {
    start: (m: ValidationTrace) => events.push(['start', { ...m }]),
    end: (m: ValidationTrace) => events.push(['end', { ...m }]),
    asyncStart: (m: ValidationTrace) => events.push(['asyncStart', { ...m }]),
    asyncEnd: (m: ValidationTrace) => events.push(['asyncEnd', { ...m }]),
    error: (m: ValidationTrace) => events.push(['error', { ...m }]),
  };
  channels.subscribe(handlers);
  return { events, stop: () => channels.unsubscribe(handlers) };
}

describe('tokenguard:validate TracingChannel', () => {
  it('records nothing and costs nothing while nobody subscribes', () => {
    expect(startTrace('verify')).toBeUndefined();
  });

  it('start, end, asyncStart, asyncEnd around a validation; the result (claims) is never published', async () => {
    const { events, stop } = record();
    try {
      const trace = startTrace('authenticate') as ValidationTrace;
      const value = await traceValidation(trace, async () => {
        trace.strategy = 'jwt';
        trace.cacheTier = 'local';
        return { claims: { sub: 'secret-user' } };
      });
      expect(value).toEqual({ claims: { sub: 'secret-user' } });
    } finally {
      stop();
    }
    expect(events.map(([name]) => name)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    const [, last] = events[3] as [string, ValidationTrace & { result?: unknown }];
    expect(last).toMatchObject({ operation: 'authenticate', strategy: 'jwt', cacheTier: 'local' });
    expect(last.result).toBeUndefined();
    expect(JSON.stringify(events)).not.toContain('secret-user');
  });

  it('a refusal publishes error with its status and code, then asyncStart/asyncEnd', async () => {
    const { events, stop } = record();
    try {
      const trace = startTrace('verify') as ValidationTrace;
      await expect(
        traceValidation(trace, async () => {
          throw new InvalidTokenError({ message: 'jwt: expired' });
        }),
      ).rejects.toBeInstanceOf(InvalidTokenError);
    } finally {
      stop();
    }
    expect(events.map(([name]) => name)).toEqual([
      'start',
      'end',
      'error',
      'asyncStart',
      'asyncEnd',
    ]);
    expect(events[2]?.[1]).toMatchObject({ status: 401, code: 'invalid_token' });
  });
});
