/** The backends a config's rollout settings name must exist and build, like the job's chain. */
import type { BackendSet } from '../backends/set.js';
import type { Config } from '../config/schema.js';

/** Builds the canary's candidate and compareWith and the shadow reference; throws (UNKNOWN_BACKEND, INVALID_CONFIG) otherwise. */
export function checkRolloutBackends(config: Pick<Config, 'routing' | 'shadow'>, backends: BackendSet): void {
  const { routing, shadow } = config;
  const ids = [...(routing.canary ? [routing.canary.backend, routing.canary.compareWith] : []), ...(shadow ? [shadow.backend] : [])];
  for (const id of new Set(ids)) backends.get(id);
}
