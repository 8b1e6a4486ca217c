/**
 * Server-Sent Events over fetch(), so the key travels in the Authorization header (EventSource can
 * send no headers, and the key must never be in a URL). Parses the text/event-stream format.
 */
import { authHeaders, errorOf } from './api';

export interface SseMessage {
  event: string;
  id: string | null;
  data: string;
}

export interface SseOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  lastEventId?: string | null;
  signal: AbortSignal;
  onMessage: (message: SseMessage) => void;
}

/** Reads one stream to its end; rejects with ApiError for a refused request (4xx/5xx before the stream). */
export async function readSse(path: string, options: SseOptions): Promise<void> {
  const headers: Record<string, string> = { Accept: 'text/event-stream', ...authHeaders() };
  if (options.lastEventId) headers['Last-Event-ID'] = options.lastEventId;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    signal: options.signal,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  if (!response.ok) throw await errorOf(response);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: SseMessage = { event: 'message', id: null, data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') message.event = value;
          else if (field === 'id') message.id = value;
          else if (field === 'data') {
            message.data += hasData ? `\n${value}` : value;
            hasData = true;
          }
        }
        if (hasData) options.onMessage(message);
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}
