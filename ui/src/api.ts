/**
 * The UI's only way to the server: the public API under /v1, with the key in the Authorization
 * header. Errors are the API's `{ error: { code, message } }`; a 401 signs the tab out.
 */
import { forgetKey, storedKey } from './auth';
import type { AskAnswer, HourlyStats, Job, JobList, Peaks, SearchPage, SegmentList, Stats } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const signOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signOutListeners.add(listener);
  return () => signOutListeners.delete(listener);
}

export function authHeaders(): Record<string, string> {
  const key = storedKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

export async function errorOf(response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON: keep the status line.
  }
  if (response.status === 401) {
    forgetKey();
    for (const listener of signOutListeners) listener();
  }
  return new ApiError(response.status, code, message);
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(path, { ...init, headers: { Accept: 'application/json', ...authHeaders(), ...(init.headers as Record<string, string> | undefined) } });
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  return (await (await request(path, init)).json()) as T;
}

const enc = encodeURIComponent;

export const api = {
  job: (id: string, signal?: AbortSignal) => getJson<Job>(`/v1/jobs/${enc(id)}`, signal ? { signal } : {}),
  jobs: (params: { limit?: number; before?: string | null; status?: string }) => {
    const query = new URLSearchParams({ limit: String(params.limit ?? 20) });
    if (params.before) query.set('before', params.before);
    if (params.status) query.set('status', params.status);
    return getJson<JobList>(`/v1/jobs?${query}`);
  },
  submitUrl: (url: string, options: Record<string, string>) =>
    getJson<Job>('/v1/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ url, ...options }) }),
  cancel: (id: string) => getJson<Job>(`/v1/jobs/${enc(id)}`, { method: 'DELETE' }),
  remove: (id: string) => getJson<{ deleted: boolean }>(`/v1/jobs/${enc(id)}?purge=true`, { method: 'DELETE' }),
  segments: (id: string, signal?: AbortSignal) => getJson<SegmentList>(`/v1/jobs/${enc(id)}/segments`, signal ? { signal } : {}),
  peaks: (id: string, points: number, signal?: AbortSignal) => getJson<Peaks>(`/v1/jobs/${enc(id)}/peaks?points=${points}`, signal ? { signal } : {}),
  audioUrl: (id: string) => getJson<{ url: string; expires_at: string }>(`/v1/jobs/${enc(id)}/audio-url`, { method: 'POST' }),
  transcript: async (id: string, format: string) => (await request(`/v1/jobs/${enc(id)}/transcript?format=${enc(format)}`)).blob(),
  questions: (id: string) => getJson<{ data: AskAnswer[] }>(`/v1/jobs/${enc(id)}/questions`),
  search: (q: string, offset = 0) => getJson<SearchPage>(`/v1/search?${new URLSearchParams({ q, limit: '20', offset: String(offset) })}`),
  stats: (hours: number) => getJson<Stats>(`/v1/stats?since=${hours}h`),
  hourly: (hours: number) => getJson<HourlyStats>(`/v1/stats/hourly?hours=${hours}`),
  backends: () => getJson<{ default: string | null; data: Array<{ id: string; kind: 'backend' | 'model'; default: boolean }> }>('/v1/backends'),
};
