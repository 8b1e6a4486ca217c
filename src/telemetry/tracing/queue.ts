/**
 * Traces across the segment queue (distributed mode): the API server's `dispatch` span (one per
 * dispatch of a segment: a PRODUCER span, child of the job's `segment` span) puts its W3C trace
 * context (`traceparent`, `tracestate`) on the task (SegmentTask.trace); the worker's `worker.segment`
 * span (CONSUMER) continues that trace as its child, so one job is one trace across processes.
 * With tracing off on the server the task carries no context and a worker's spans start their own trace.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, type Attributes } from '@opentelemetry/api';
import type { SegmentTask } from '../../core/types.js';
import { inSpan } from './spans.js';

/** The active span's context as W3C headers; undefined when there is nothing to propagate (tracing off). */
export function traceCarrier(): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The task with the active span's context on it (the task unchanged when there is none). */
export function withTraceContext(task: SegmentTask): SegmentTask {
  const carrier = traceCarrier();
  return carrier ? { ...task, trace: carrier } : task;
}

/** The span context a task carries, as a parent context (ROOT_CONTEXT when it carries none). */
export function contextOfTask(task: SegmentTask) {
  return task.trace ? propagation.extract(ROOT_CONTEXT, task.trace) : ROOT_CONTEXT;
}

interface DispatchInfo {
  queue: string;
  taskId: string;
  dispatch: number;
}

/** One dispatch of a segment onto the queue, until its outcome (completed, failed, lost, deadline). */
export function inDispatchSpan<T extends { kind: string }>(task: SegmentTask, info: DispatchInfo, work: () => Promise<T>): Promise<T> {
  const attributes: Attributes = {
    'messaging.system': 'bullmq',
    'messaging.operation.type': 'send',
    'messaging.destination.name': info.queue,
    'messaging.message.id': info.taskId,
    'parascribe.job.id': task.jobId,
    'parascribe.segment.index': task.index,
    'parascribe.dispatch': info.dispatch,
  };
  return inSpan('dispatch', attributes, work, (outcome) => ({ 'parascribe.dispatch.outcome': outcome.kind }), { kind: SpanKind.PRODUCER });
}

interface WorkerTaskInfo {
  worker: string;
  queue: string;
  taskId: string | undefined;
  enqueuedAtMs: number;
  dispatch: number;
  /** Which delivery of this task this is (> 1: an earlier worker was lost or failed transiently). */
  delivery: number;
}

/** A worker serving one task: a child of the server's dispatch span when the task carries its context. */
export function inWorkerSpan<T>(task: SegmentTask, info: WorkerTaskInfo, work: () => Promise<T>): Promise<T> {
  const attributes: Attributes = {
    'messaging.system': 'bullmq',
    'messaging.operation.type': 'process',
    'messaging.destination.name': info.queue,
    ...(info.taskId ? { 'messaging.message.id': info.taskId } : {}),
    'parascribe.worker': info.worker,
    'parascribe.job.id': task.jobId,
    'parascribe.segment.index': task.index,
    'parascribe.segment.start_sec': task.startSec,
    'parascribe.segment.end_sec': task.endSec,
    'parascribe.chain': task.chain,
    'parascribe.dispatch': info.dispatch,
    'parascribe.delivery': info.delivery,
    'parascribe.queue_wait_ms': Math.max(0, Date.now() - info.enqueuedAtMs),
  };
  return context.with(contextOfTask(task), () => inSpan('worker.segment', attributes, work, undefined, { kind: SpanKind.CONSUMER }));
}
