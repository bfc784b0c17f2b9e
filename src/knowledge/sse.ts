/**
 * Server-sent events, the parsing half (pure): text in, the `data` of each complete event out. Lines end in
 * LF, CR or CRLF; `data:` lines of one event join with LF; a blank line ends the event; comments (`:`) and
 * other fields are ignored — as the HTML standard's event-stream format says.
 */
export class SseParser {
  private rest = '';
  private data: string[] = [];
  private pendingCR = false;

  /** Feed the next piece of the stream; returns the data of the events it completed. */
  push(chunk: string): string[] {
    let text = chunk;
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.pendingCR = text.endsWith('\r');
    const lines = (this.rest + text).split(/\r\n|\r|\n/);
    this.rest = lines.pop() ?? '';
    const out: string[] = [];
    for (const line of lines) {
      if (line === '') {
        if (this.data.length > 0) out.push(this.data.join('\n'));
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
    }
    return out;
  }
}
