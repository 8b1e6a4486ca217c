/** The frame of every page: skip link, navigation, sign out. */
import type { ComponentChildren } from 'preact';
import { href } from '../router';

const NAV = [
  ['jobs', 'Jobs'],
  ['new', 'New job'],
  ['search', 'Search'],
  ['dashboard', 'Dashboard'],
] as const;

export function Layout(props: { page: string; onSignOut: (() => void) | null; open: boolean; children: ComponentChildren }) {
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('jobs')}>
          parascribe
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([page, label]) => (
              <li key={page}>
                <a href={href(page)} aria-current={props.page === page ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {props.onSignOut ? (
          <button type="button" class="link" onClick={props.onSignOut}>
            Sign out
          </button>
        ) : (
          <span class="muted small" title="This server runs with --no-auth on a loopback address">
            no auth
          </span>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
