/** New job: drop or pick files (many at once, each with a progress bar and cancel), or paste a URL. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { bytes } from '../format';
import { href } from '../router';
import { uploadFile, type UploadHandle } from '../upload';

interface Upload {
  key: number;
  name: string;
  size: number;
  sent: number;
  state: 'uploading' | 'accepted' | 'failed' | 'cancelled';
  jobId?: string;
  error?: string;
  handle?: UploadHandle;
}

interface Options {
  backend: string;
  language: string;
  priority: string;
  segment: string;
}

function fields(options: Options): Record<string, string> {
  const out: Record<string, string> = { priority: options.priority, segment_sec: options.segment.trim() || 'auto' };
  if (options.backend) out.backend = options.backend;
  if (options.language.trim()) out.language = options.language.trim();
  return out;
}

let nextKey = 1;

export function NewJob() {
  const [options, setOptions] = useState<Options>({ backend: '', language: '', priority: 'normal', segment: 'auto' });
  const [backends, setBackends] = useState<Array<{ id: string; kind: string; default: boolean }>>([]);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [url, setUrl] = useState('');
  const [urlState, setUrlState] = useState<{ error?: string; jobId?: string; busy?: boolean }>({});
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    api.backends().then((list) => setBackends(list.data), () => setBackends([]));
  }, []);

  const update = (key: number, patch: Partial<Upload>) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, ...patch } : u)));
  const start = (files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      const key = nextKey++;
      const handle = uploadFile(file, fields(options), (sent) => update(key, { sent }));
      setUploads((all) => [...all, { key, name: file.name, size: file.size, sent: 0, state: 'uploading', handle }]);
      handle.done.then(
        ({ id }) => update(key, { state: 'accepted', jobId: id, sent: file.size }),
        (error: Error) => update(key, error.message === 'cancelled' ? { state: 'cancelled' } : { state: 'failed', error: error.message }),
      );
    }
  };
  const submitUrl = async (event: Event) => {
    event.preventDefault();
    setUrlState({ busy: true });
    try {
      const job = await api.submitUrl(url.trim(), fields(options));
      setUrlState({ jobId: job.id });
      setUrl('');
    } catch (error) {
      setUrlState({ error: (error as Error).message });
    }
  };
  const set = (name: keyof Options) => (event: Event) => setOptions({ ...options, [name]: (event.currentTarget as HTMLInputElement).value });

  return (
    <section aria-labelledby="new-title">
      <h1 id="new-title">New job</h1>
      <fieldset class="options">
        <legend>Options</legend>
        <label>
          Backend or route
          <select value={options.backend} onChange={set('backend')}>
            <option value="">Server default</option>
            {backends.map((b) => (
              <option key={b.id} value={b.id}>
                {b.id}
                {b.kind === 'model' ? ' (route)' : ''}
                {b.default ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Language
          <input value={options.language} onInput={set('language')} placeholder="auto, or e.g. en" pattern="[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?" size={8} />
        </label>
        <label>
          Priority
          <select value={options.priority} onChange={set('priority')}>
            <option value="critical">critical</option>
            <option value="normal">normal</option>
            <option value="batch">batch</option>
          </select>
        </label>
        <label>
          Segment size (s)
          <input value={options.segment} onInput={set('segment')} placeholder="auto" size={6} aria-describedby="segment-help" />
        </label>
        <p id="segment-help" class="muted small">
          "auto" lets the server plan segment sizes from the backend's history; or 10–3600 seconds.
        </p>
      </fieldset>

      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => (e.preventDefault(), setDragging(true))}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          if (e.dataTransfer?.files.length) start(e.dataTransfer.files);
        }}
      >
        <p>Drop audio or video files here, or</p>
        <label class="button" for="file-input">
          Choose files…
        </label>
        <input id="file-input" ref={input} class="visually-hidden" type="file" multiple accept="audio/*,video/*" onChange={(e) => {
          const files = e.currentTarget.files;
          if (files?.length) start(files);
          e.currentTarget.value = '';
        }} />
      </div>

      {uploads.length > 0 && (
        <ul class="uploads" aria-label="Uploads">
          {uploads.map((u) => (
            <li key={u.key} class={`upload ${u.state}`}>
              <span class="name">{u.name}</span>
              <progress max={u.size || 1} value={u.sent} aria-label={`Upload of ${u.name}`} />
              <span class="small">
                {bytes(u.sent)} / {bytes(u.size)}
              </span>
              {u.state === 'uploading' && (
                <button type="button" class="small" onClick={() => u.handle?.cancel()}>
                  Cancel
                </button>
              )}
              {u.state === 'accepted' && <a href={href(`jobs/${u.jobId}`)}>Open job</a>}
              {u.state === 'cancelled' && <span class="muted">cancelled</span>}
              {u.state === 'failed' && (
                <span class="error" role="alert">
                  {u.error}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}

      <form class="url-form" onSubmit={submitUrl}>
        <label for="url-input">Or transcribe from a URL</label>
        <div class="row">
          <input id="url-input" type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="https://example.org/talk.mp3" required />
          <button type="submit" disabled={urlState.busy}>
            Submit URL
          </button>
        </div>
        {urlState.jobId && (
          <p role="status">
            Accepted: <a href={href(`jobs/${urlState.jobId}`)}>open the job</a>
          </p>
        )}
        {urlState.error && (
          <p class="error" role="alert">
            {urlState.error}
          </p>
        )}
      </form>
    </section>
  );
}
