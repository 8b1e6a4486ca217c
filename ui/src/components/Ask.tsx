/**
 * The ask box (POST /v1/jobs/:id/ask): the answer streams in; its [hh:mm:ss] citations become buttons
 * that play the recording from there. Earlier questions of the job are listed below.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { PlayerBus } from '../job/player-bus';
import { readSse } from '../sse';
import type { AskAnswer } from '../types';

const CITATION = /\[(?:(\d{1,2}):)?(\d{1,2}):(\d{2})\]/g;

/** Answer text as text, with each citation a button (the model's text is never HTML). */
export function AnswerText(props: { text: string; bus: PlayerBus }) {
  const parts: Array<string | { marker: string; sec: number }> = [];
  let last = 0;
  for (const m of props.text.matchAll(CITATION)) {
    parts.push(props.text.slice(last, m.index));
    parts.push({ marker: m[0], sec: Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) });
    last = m.index! + m[0].length;
  }
  parts.push(props.text.slice(last));
  return (
    <p class="answer-text">
      {parts.map((part, i) =>
        typeof part === 'string' ? (
          part
        ) : (
          <button key={i} type="button" class="citation" data-sec={part.sec} onClick={() => props.bus.seek(part.sec, true)} aria-label={`Play from ${part.marker.slice(1, -1)}`}>
            {part.marker}
          </button>
        ),
      )}
    </p>
  );
}

export function Ask(props: { jobId: string; bus: PlayerBus }) {
  const [question, setQuestion] = useState('');
  const [answer, setAnswer] = useState<{ question: string; text: string; note?: string | null; error?: string; done: boolean } | null>(null);
  const [history, setHistory] = useState<AskAnswer[]>([]);
  const [unavailable, setUnavailable] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  const loadHistory = () => api.questions(props.jobId).then((list) => setHistory(list.data), () => undefined);
  useEffect(() => {
    void loadHistory();
    return () => abort.current?.abort();
  }, [props.jobId]);

  const ask = async (event: Event) => {
    event.preventDefault();
    const q = question.trim();
    if (!q) return;
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    let text = '';
    setAnswer({ question: q, text: '', done: false });
    try {
      await readSse(`/v1/jobs/${encodeURIComponent(props.jobId)}/ask`, {
        method: 'POST',
        body: { question: q },
        signal: controller.signal,
        onMessage: (m) => {
          const data = JSON.parse(m.data) as Record<string, any>;
          if (m.event === 'delta') {
            text += String(data.text ?? '');
            setAnswer({ question: q, text, done: false });
          } else if (m.event === 'done') {
            setAnswer({ question: q, text: String(data.answer ?? text), note: data.coverage?.note ?? null, done: true });
          } else if (m.event === 'error') {
            setAnswer({ question: q, text, error: `${data.code}: ${data.message}`, done: true });
          }
        },
      });
      setQuestion('');
      void loadHistory();
    } catch (e) {
      if (controller.signal.aborted) return;
      if (e instanceof ApiError && e.code === 'LLM_NOT_CONFIGURED') setUnavailable('This server has no language model configured for questions.');
      setAnswer({ question: q, text, error: (e as Error).message, done: true });
    }
  };

  return (
    <section class="ask" aria-labelledby="ask-title">
      <h2 id="ask-title">Ask the recording</h2>
      {unavailable ? (
        <p class="muted">{unavailable}</p>
      ) : (
        <form onSubmit={ask}>
          <label for="ask-input" class="visually-hidden">
            Question
          </label>
          <div class="row">
            <input id="ask-input" value={question} onInput={(e) => setQuestion(e.currentTarget.value)} placeholder="What did they decide?" maxLength={2000} />
            <button type="submit" disabled={answer !== null && !answer.done}>
              Ask
            </button>
          </div>
        </form>
      )}
      {answer && (
        <div class="answer" aria-live="polite" aria-busy={!answer.done}>
          <p class="question">Q: {answer.question}</p>
          <AnswerText text={answer.text || (answer.done ? '' : '…')} bus={props.bus} />
          {answer.error && (
            <p class="error" role="alert">
              {answer.error}
            </p>
          )}
        </div>
      )}
      {history.length > 0 && (
        <details class="history">
          <summary>Earlier questions ({history.length})</summary>
          {history
            .slice()
            .reverse()
            .map((h) => (
              <div key={h.id} class="answer">
                <p class="question">Q: {h.question}</p>
                <AnswerText text={h.answer} bus={props.bus} />
              </div>
            ))}
        </details>
      )}
    </section>
  );
}
