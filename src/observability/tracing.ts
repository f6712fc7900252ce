import {
  context,
  diag,
  DiagLogLevel,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';

/**
 * Traces with OpenTelemetry, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Spans are made by
 * hand around the key steps (the HTTP request, the group commit, each job, each provider batch
 * and call): auto-instrumentation needs `--import` loader hooks, which this project does not run.
 *
 * The SDK is loaded only when tracing is on (it costs tens of MB the web role does not need
 * otherwise). The tracer provider belongs to this object and is passed down like everything
 * else; the one process-wide piece is the AsyncLocalStorage context manager registered with
 * @opentelemetry/api, which is how a span stays "active" across awaits (and how the pino mixin
 * and addJobs find it).
 */
export interface Tracing {
  readonly enabled: boolean;
  /**
   * Runs `fn` inside a new span: a child of `parent` (default: the active context) unless
   * `root`; the span ends when `fn` settles, with an error status when it throws.
   */
  span<T>(name: string, opts: SpanOpts, fn: (span: Span) => Promise<T>): Promise<T>;
  /** The context a W3C `traceparent` (and `tracestate`) carries; ROOT_CONTEXT when absent or malformed. */
  extract(carrier: { traceparent?: string | undefined; tracestate?: string | undefined }): Context;
  /** Exports what is still buffered and stops (the last step of shutdown). */
  shutdown(): Promise<void>;
}

export interface SpanOpts {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: Link[];
  readonly parent?: Context;
  readonly root?: boolean;
}

export type TracingConfig = Config['tracing'];

const NON_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
const SHUTDOWN_FLUSH_MS = 5_000;

/** Tracing off: spans are not made; `fn` runs as it is. */
export const disabledTracing: Tracing = {
  enabled: false,
  span: (_name, _opts, fn) => fn(NON_RECORDING),
  extract: () => ROOT_CONTEXT,
  shutdown: async () => {},
};

/**
 * Tracing from config (on when an OTLP endpoint is configured), or with `exporter` (tests: an
 * InMemorySpanExporter, exported span by span so a test sees each span as soon as it ends).
 */
export async function createTracing(config: TracingConfig, opts: { exporter?: SpanExporter; logger?: Logger } = {}): Promise<Tracing> {
  if (!config.endpoint && !opts.exporter) return disabledTracing;
  // The SDK reports export failures (collector unreachable, rejected batches) through diag.
  if (opts.logger) {
    const log = opts.logger;
    diag.setLogger({ error: (m, ...a) => log.warn({ detail: a }, m), warn: (m, ...a) => log.warn({ detail: a }, m), info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  }
  const [{ TracerProvider, BatchSpanProcessor, SimpleSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, AlwaysOnSampler, AlwaysOffSampler }, { resourceFromAttributes }, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }] =
    await Promise.all([import('@opentelemetry/sdk-trace'), import('@opentelemetry/resources'), import('@opentelemetry/context-async-hooks'), import('@opentelemetry/core')]);

  // Registered once per process; a second gateway in the same process (tests) reuses it.
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();

  const ratio = (): Sampler => new TraceIdRatioBasedSampler(config.samplerArg);
  const samplers: Record<TracingConfig['sampler'], () => Sampler> = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: ratio,
    parentbased_always_on: () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: () => new ParentBasedSampler({ root: ratio() }),
  };

  let exporter = opts.exporter;
  if (!exporter) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    // OTEL_EXPORTER_OTLP_ENDPOINT is the base URL; the traces path is appended, as the spec says.
    exporter = new OTLPTraceExporter({ url: `${config.endpoint!.replace(/\/+$/, '')}/v1/traces`, headers: { ...config.headers } });
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: samplers[config.sampler](),
    spanProcessors: [opts.exporter ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter, exportTimeoutMillis: 10_000 })],
  });
  const tracer: Tracer = provider.getTracer('ledgerport');
  const propagator: TextMapPropagator = new W3CTraceContextPropagator();

  return {
    enabled: true,
    async span(name, spanOpts, fn) {
      const parent = spanOpts.parent ?? context.active();
      const span = tracer.startSpan(name, { kind: spanOpts.kind ?? SpanKind.INTERNAL, attributes: spanOpts.attributes, links: spanOpts.links, root: spanOpts.root }, parent);
      try {
        return await context.with(trace.setSpan(parent, span), () => fn(span));
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
    extract: (carrier) =>
      carrier.traceparent
        ? propagator.extract(ROOT_CONTEXT, carrier, {
            get: (c, key) => (c as Record<string, string | undefined>)[key],
            keys: (c) => Object.keys(c as object),
          })
        : ROOT_CONTEXT,
    async shutdown() {
      // An unreachable collector must not hold shutdown past SHUTDOWN_TIMEOUT_MS: what is not out in 5 s is dropped.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([provider.shutdown(), new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS)))]).finally(() => clearTimeout(timer));
    },
  };
}
