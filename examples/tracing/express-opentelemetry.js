// tokenguard in OpenTelemetry: an Express API behind tokenguard, the local identity server,
// and the console exporter. Each request shows as a server span with the `tokenguard
// authenticate` span under it, and the introspection call (undici) under that.
// Run: pnpm build && node examples/tracing/express-opentelemetry.js
import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingChannel } from 'node:diagnostics_channel';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

// The active OpenTelemetry context lives in one AsyncLocalStorage that we own, so that
// tokenguard's TracingChannel can enter a context too (bindStore below).
const storage = new AsyncLocalStorage();
const contextManager = {
  active: () => storage.getStore() ?? ROOT_CONTEXT,
  with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.apply(thisArg, args)),
  bind(ctx, target) {
    if (typeof target !== 'function') return target;
    return function bound(...args) {
      return storage.run(ctx, () => target.apply(this, args));
    };
  },
  enable() {
    return this;
  },
  disable() {
    storage.disable();
    return this;
  },
};

// The console gets every span as it ends; the in-memory copy prints the trees at the end.
const memory = new InMemorySpanExporter();
const provider = new NodeTracerProvider({
  spanProcessors: [
    new SimpleSpanProcessor(new ConsoleSpanExporter()),
    new SimpleSpanProcessor(memory),
  ],
});
provider.register({ contextManager });
registerInstrumentations({
  instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()],
});

// tokenguard → spans. `start` opens the span and, through bindStore, makes it the active
// context for the validation's own async work: undici's introspection request then finds
// it as its parent. `asyncEnd` closes it with what the guard learnt (never a token or claim).
const tracer = trace.getTracer('tokenguard');
const validate = tracingChannel('tokenguard:validate');
const openSpans = new WeakMap();
validate.start.bindStore(storage, (message) => {
  const parent = storage.getStore() ?? ROOT_CONTEXT;
  const span = tracer.startSpan(
    `tokenguard ${message.operation}`,
    { kind: SpanKind.INTERNAL },
    parent,
  );
  openSpans.set(message, span);
  return trace.setSpan(parent, span);
});
validate.subscribe({
  start() {},
  end() {},
  asyncStart() {},
  error(message) {
    openSpans.get(message)?.setStatus({ code: SpanStatusCode.ERROR, message: message.code });
  },
  asyncEnd(message) {
    const span = openSpans.get(message);
    span?.setAttributes({
      'tokenguard.strategy': message.strategy ?? 'none',
      'tokenguard.cache_tier': message.cacheTier,
      'tokenguard.upstream_called': message.upstreamCalled,
      'tokenguard.coalesced': message.coalesced,
      ...(message.code === undefined ? {} : { 'tokenguard.code': message.code }),
      ...(message.reason === undefined ? {} : { 'tokenguard.reason': message.reason }),
    });
    span?.end();
  },
});

// Imported after the instrumentations are registered, so that they can patch `http`.
const { createIdentityServer } = await import('@tokenguard/testing');
const { tokenGuard } = await import('@tokenguard/express');
const { default: express } = await import('express');

const idp = await createIdentityServer();
const app = express();
const guard = tokenGuard({
  introspection: {
    endpoint: idp.introspectionEndpoint,
    clientAuth: { method: 'bearer', token: idp.callerToken },
  },
  allowInsecureHttp: true,
});
app.use(guard);
app.get('/profile', (req, res) => res.json({ sub: req.auth?.claims.sub }));
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const url = `http://127.0.0.1:${server.address().port}/profile`;

const token = idp.mintToken({ sub: 'alice', scope: 'orders:read' });
for (const label of ['first request (cache miss)', 'second request (cache hit)']) {
  console.log(`\n--- ${label} ---`);
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  console.log(response.status, await response.text());
}

server.close();
await guard.guard.close();
await idp.close();

// Each trace as a tree: parent → children, with tokenguard's attributes.
const spans = memory.getFinishedSpans();
const children = (parentId) => spans.filter((span) => span.parentSpanContext?.spanId === parentId);
const print = (span, depth) => {
  const attributes = Object.entries(span.attributes)
    .filter(([name]) => name.startsWith('tokenguard.'))
    .map(([name, value]) => `${name.slice(11)}=${value}`)
    .join(' ');
  const ms = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(1);
  const kind = ['internal', 'server', 'client'][span.kind] ?? 'other';
  console.log(`${'  '.repeat(depth)}${span.name} (${kind}, ${ms} ms) ${attributes}`.trimEnd());
  for (const child of children(span.spanContext().spanId)) print(child, depth + 1);
};
console.log('\n--- span trees ---');
for (const root of spans.filter((span) => span.parentSpanContext === undefined)) print(root, 0);
await provider.shutdown();
