/** Sign in with an API key: checked against the server, then kept in this tab's session storage. */
import { useState } from 'preact/hooks';
import { keyWorks, storeKey } from '../auth';

export function SignIn(props: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) return setError('Enter your API key.');
    setBusy(true);
    setError(null);
    try {
      if (!(await keyWorks(trimmed))) return setError('The server does not accept this key.');
      storeKey(trimmed);
      props.onSignedIn(trimmed);
    } catch {
      setError('The server cannot be reached.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>parascribe</h1>
      <form onSubmit={submit} aria-describedby="signin-help">
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="current-password" value={key} onInput={(e) => setKey(e.currentTarget.value)} required autoFocus />
        <p id="signin-help" class="muted small">
          The key stays in this browser tab (session storage) and is sent only in the Authorization header.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
