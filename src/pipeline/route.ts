/**
 * Routing: which backends serve a job, in fallback order. Pure functions over the config.
 * An explicit backend (flag, env or config file) wins; else the first matching rule; else the
 * default. Under pressure a segment is diverted to a configured faster alternative.
 */
import type { BackendSet } from '../backends/set.js';
import type { TranscriptionBackend } from '../backends/spec.js';
import type { PressureRule, RoutingConfig } from '../config/failure.js';
import type { Priority } from '../core/types.js';

export type { PressureRule, RoutingConfig, RoutingRule } from '../config/failure.js';

export interface RouteInput {
  language: string | undefined;
  priority: Priority;
  explicitBackend: string | undefined;
  fallback: string[];
}

export const DEFAULT_BACKEND = 'pocketsphinx';

const matches = <T extends string>(wanted: T | T[] | undefined, actual: T | undefined): boolean =>
  wanted === undefined || wanted === '*' || (actual !== undefined && (Array.isArray(wanted) ? wanted.includes(actual) : wanted === actual));

/** The job's backend chain: primary first, then fallbacks, without repeats. */
export function chooseChain(routing: RoutingConfig, input: RouteInput): { chain: string[]; rule: number | null } {
  const language = input.language?.toLowerCase().split('-')[0];
  let primary = input.explicitBackend;
  let fallback = input.fallback;
  let rule: number | null = null;
  if (!primary) {
    const index = routing.rules.findIndex((r) => matches(r.language, language) && matches(r.priority, input.priority));
    if (index >= 0) {
      const chosen = routing.rules[index]!;
      rule = index;
      primary = chosen.backend;
      if (fallback.length === 0) fallback = chosen.fallback ?? [];
    }
  }
  return { chain: [...new Set([primary ?? DEFAULT_BACKEND, ...fallback])], rule };
}

/** At dispatch: if the first backend's backlog is over its limit, its alternative goes first. */
export function divertUnderPressure(chain: string[], pressure: Record<string, PressureRule>, backlog: (backend: string) => number): string[] {
  const first = chain[0];
  const rule = first === undefined ? undefined : pressure[first];
  if (!rule || backlog(first!) < rule.maxBacklog) return chain;
  return [...new Set([rule.divertTo, ...chain])];
}

/** The job's backend chain from config and routing; every id in it must be buildable (fails here otherwise). */
export function resolveChain(
  config: { routing: RoutingConfig; language?: string | undefined; priority: Priority; backend?: string | undefined; fallback: string[] },
  backends: BackendSet,
): { chain: string[]; primary: TranscriptionBackend } {
  const { chain } = chooseChain(config.routing, { language: config.language, priority: config.priority, explicitBackend: config.backend, fallback: config.fallback });
  const built = chain.map((id) => backends.get(id));
  return { chain, primary: built[0]! };
}
