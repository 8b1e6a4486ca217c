/** The web UI's entry: who is signed in, the navigation and the page for the current route. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onSignedOut } from './api';
import { forgetKey, serverIsOpen, storedKey, type AuthState } from './auth';
import { Dashboard } from './components/Dashboard';
import { JobPage } from './components/JobPage';
import { Jobs } from './components/Jobs';
import { Layout } from './components/Layout';
import { NewJob } from './components/NewJob';
import { Search } from './components/Search';
import { SignIn } from './components/SignIn';
import { useRoute } from './router';
import './styles.css';

function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<AuthState | null>(() => {
    const key = storedKey();
    return key ? { kind: 'key', key } : null;
  });
  useEffect(() => {
    if (auth) return;
    serverIsOpen()
      .then((open) => setAuth(open ? { kind: 'open' } : { kind: 'signed-out' }))
      .catch(() => setAuth({ kind: 'signed-out' }));
  }, [auth]);
  useEffect(() => onSignedOut(() => setAuth({ kind: 'signed-out' })), []);

  if (!auth) return <p class="loading" role="status">Loading…</p>;
  if (auth.kind === 'signed-out') return <SignIn onSignedIn={(key) => setAuth({ kind: 'key', key })} />;
  const signOut =
    auth.kind === 'key'
      ? () => {
          forgetKey();
          setAuth({ kind: 'signed-out' });
        }
      : null;
  const [page = 'jobs', id] = route.path;
  let content;
  if (page === 'jobs' && id) content = <JobPage key={id} id={id} startAt={Number(route.query.get('t') ?? NaN)} />;
  else if (page === 'new') content = <NewJob />;
  else if (page === 'search') content = <Search query={route.query.get('q') ?? ''} />;
  else if (page === 'dashboard') content = <Dashboard />;
  else content = <Jobs />;
  return (
    <Layout page={page} onSignOut={signOut} open={auth.kind === 'open'}>
      {content}
    </Layout>
  );
}

render(<App />, document.getElementById('app')!);
