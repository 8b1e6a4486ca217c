/** Search across the caller's transcripts; each hit links to the job page at that time. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { clock } from '../format';
import { href, navigate } from '../router';
import type { SearchPage } from '../types';

/** The API marks matched words «like this»: shown as <mark>, the rest as text. */
function Snippet(props: { text: string }) {
  const parts = props.text.split(/«([^»]*)»/);
  return <span>{parts.map((part, i) => (i % 2 === 1 ? <mark key={i}>{part}</mark> : part))}</span>;
}

export function Search(props: { query: string }) {
  const [input, setInput] = useState(props.query);
  const [result, setResult] = useState<SearchPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  useEffect(() => {
    setInput(props.query);
    setOffset(0);
  }, [props.query]);
  useEffect(() => {
    if (!props.query.trim()) return setResult(null);
    api.search(props.query, offset).then(
      (page) => {
        setResult(page);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, [props.query, offset]);
  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search</h1>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate('search', { q: input.trim() });
        }}
      >
        <label for="search-input" class="visually-hidden">
          Search your transcripts
        </label>
        <div class="row">
          <input id="search-input" type="search" value={input} onInput={(e) => setInput(e.currentTarget.value)} placeholder='budget "hiring plan"' maxLength={500} />
          <button type="submit">Search</button>
        </div>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {result && (
        <>
          <p class="small muted" role="status">
            {result.data.length === 0 ? 'No matches.' : `${offset + 1}–${offset + result.data.length}${result.has_more ? ' (more below)' : ''}`}
          </p>
          <ol class="hits" start={offset + 1}>
            {result.data.map((hit) => (
              <li key={`${hit.job_id}-${hit.segment_index}`}>
                <a href={href(`jobs/${hit.job_id}`, { t: hit.start_sec })}>
                  {hit.source ?? hit.job_id} at {clock(hit.start_sec)}
                </a>
                <p class="snippet">
                  <Snippet text={hit.snippet} />
                </p>
              </li>
            ))}
          </ol>
          <nav class="pager" aria-label="Result pages">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - 20))}>
              Previous
            </button>
            <button type="button" disabled={!result.has_more} onClick={() => result.next_offset !== null && setOffset(result.next_offset)}>
              Next
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
