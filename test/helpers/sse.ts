// A reader of a server-sent events stream (GET /api/events): whole events, parsed.

export interface SseEvent {
  event: string;
  /** The JSON of the data line. */
  data: { event: string; id: string; at: string; data: Record<string, unknown> };
}

/** The events of a text/event-stream body as they come (comment lines skipped). */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const name = /^event: (.+)$/m.exec(block);
      const data = /^data: (.+)$/m.exec(block);
      if (name !== null && data !== null) yield { event: name[1]!, data: JSON.parse(data[1]!) as SseEvent['data'] };
    }
  }
}
