/** Reads a Server-Sent Events stream with fetch, event by event (tests). */

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
  /** Date.now() when it arrived. */
  atMs: number;
}

/** Yields the events of `url` until the stream ends or `signal` aborts. */
export async function* readSse(url: string, headers: Record<string, string>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const response = await fetch(url, { headers: { ...headers, Accept: 'text/event-stream' }, ...(signal ? { signal } : {}) });
  if (response.status !== 200 || !response.body) throw new Error(`SSE ${url}: HTTP ${response.status} ${await response.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0 || id !== undefined) yield { event, id, data: data.join('\n'), atMs: Date.now() };
    }
  }
}
