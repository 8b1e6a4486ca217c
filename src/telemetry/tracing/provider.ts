/**
 * OpenTelemetry tracing for the process: off unless an OTLP endpoint is configured
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), so by default the pipeline's
 * spans go to the API's no-op tracer and cost nothing. When on: a NodeTracerProvider (AsyncLocalStorage
 * context, W3C trace-context propagation) with a BatchSpanProcessor and the OTLP/HTTP exporter (JSON),
 * which reads the standard OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers, timeout,
 * compression) and the OTEL_BSP_* ones for batching.
 *
 * One provider per process, shared by every Runtime the process opens (openRuntime acquires it,
 * runtime.close() releases it); the last release flushes and shuts it down, so a CLI run, a server
 * and a worker export their last spans before they exit. A host application (embedded use) that
 * registered its own tracer provider keeps it: parascribe's spans then go there.
 */
import { context, propagation, trace, type ProxyTracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TracingHandle {
  /** This process exports spans (an endpoint is set and the provider is ours). */
  readonly enabled: boolean;
  /** Releases this holder's use; the last one flushes (bounded) and shuts the provider down. Safe to call twice. */
  release(): Promise<void>;
}

export interface TracingOptions {
  /** The process's role, a resource attribute (`parascribe.role`): cli, server or worker. */
  role: string;
  /** Where a notice goes when tracing starts (the endpoint it exports to). */
  log?: (line: string) => void;
  /** The environment that turns tracing on and names the service (tests); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Longest a release waits for the last spans to be exported (an unreachable collector must not hold up exit). */
const FLUSH_LIMIT_MS = 5_000;

const isTrue = (value: string | undefined) => value !== undefined && ['true', '1', 'yes'].includes(value.trim().toLowerCase());

/** The endpoint spans go to, or undefined when tracing is off (no endpoint, OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER=none). */
export function tracingEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (isTrue(env.OTEL_SDK_DISABLED)) return undefined;
  const exporters = env.OTEL_TRACES_EXPORTER?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) ?? [];
  if (exporters.includes('none')) return undefined;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

let shared: { provider: NodeTracerProvider; holders: number } | undefined;

const OFF: TracingHandle = { enabled: false, release: async () => {} };

/** Starts tracing for this process if it is configured (or takes another hold on the running provider). */
export function startTracing(options: TracingOptions): TracingHandle {
  const env = options.env ?? process.env;
  if (!shared) {
    const endpoint = tracingEndpoint(env);
    if (!endpoint) return OFF;
    const resource = resourceFromAttributes({
      [ATTR_SERVICE_NAME]: 'parascribe',
      'parascribe.role': options.role,
      'process.pid': process.pid,
    })
      .merge(detectResources({ detectors: [envDetector] })) // OTEL_RESOURCE_ATTRIBUTES (process.env) wins
      .merge(resourceFromAttributes(env.OTEL_SERVICE_NAME?.trim() ? { [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME.trim() } : {}));
    const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))] });
    // The global provider, an AsyncLocalStorage context manager and the W3C trace-context propagator.
    provider.register();
    // A host application's provider stays (registration does not replace it): ours would never see a span.
    if ((trace.getTracerProvider() as ProxyTracerProvider).getDelegate() !== provider) {
      void provider.shutdown();
      return OFF;
    }
    shared = { provider, holders: 0 };
    options.log?.(`tracing: spans go to ${endpoint} (OTLP/HTTP)`);
  }
  const held = shared;
  held.holders++;
  let released = false;
  return {
    enabled: true,
    release: async () => {
      if (released) return;
      released = true;
      if (--held.holders > 0 || shared !== held) return;
      shared = undefined;
      await Promise.race([held.provider.shutdown().catch(() => {}), new Promise((r) => setTimeout(r, FLUSH_LIMIT_MS).unref())]);
      // A later Runtime in this process (tests, benches) starts a fresh provider.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
