/** Settings validation shared by the registry and each backend's convenience constructor. */
import type { z } from 'zod';
import { ParascribeError } from '../errors.js';

/** Parses a backend's settings with its schema; the first issue becomes one INVALID_CONFIG line. */
export function parseBackendSettings<S extends z.ZodType>(schema: S, raw: unknown, backendId: string): z.infer<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ParascribeError('INVALID_CONFIG', `backend "${backendId}": ${issue ? `${issue.path.join('.') || 'settings'}: ${issue.message}` : 'invalid settings'}`);
}
