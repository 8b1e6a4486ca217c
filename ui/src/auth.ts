/**
 * The API key: kept in this tab's session storage only (gone when the tab closes), sent as an
 * Authorization header, never put in a URL. A `--no-auth` loopback server answers without a key;
 * the UI finds out by asking once without one.
 */
const STORAGE_KEY = 'parascribe.apiKey';

export type AuthState = { kind: 'key'; key: string } | { kind: 'open' } | { kind: 'signed-out' };

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** Whether the server needs a key at all (a `--no-auth` server lists jobs without one). */
export async function serverIsOpen(): Promise<boolean> {
  const response = await fetch('/v1/jobs?limit=1', { headers: { Accept: 'application/json' } });
  return response.ok;
}

/** Checks a key against the server: true if it lists jobs with it. */
export async function keyWorks(key: string): Promise<boolean> {
  const response = await fetch('/v1/jobs?limit=1', { headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' } });
  return response.ok;
}
