/**
 * Lines as the live journal takes them (src/live/journal.ts), made from each input's form: syslog's
 * messages and ship's file bytes as they came, the HTTP inputs' messages written out (MessageLines).
 */

/** Lines as a segment stores them: each followed by a newline, in one buffer. */
export interface JournalLines {
  data: Buffer;
  lines: number;
}

/**
 * Messages' bytes → journal lines: each message and a newline. A message holding newlines is that
 * many lines more (its lines are parsed as they would be in a file: a trailing CR dropped, continuation
 * lines joined to their record).
 */
export function journalLines(messages: readonly Buffer[]): JournalLines {
  let bytes = 0;
  let lines = 0;
  for (const m of messages) {
    bytes += m.length + 1;
    lines += 1 + countNewlines(m);
  }
  const data = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const m of messages) {
    at += m.copy(data, at);
    data[at++] = 0x0a;
  }
  return { data, lines };
}

const NEWLINE = Buffer.from('\n');

/**
 * Whole lines of a file as they came (`loginsights ship`'s batches): already journal lines, a newline
 * added after a last line without one. Kept as bytes, as syslog's and an upload's are: the parse reads
 * them as it reads a file (a trailing CR dropped, bytes that are not UTF-8 read as a file's are).
 */
export function fileLines(bytes: Buffer): JournalLines {
  const lines = countLines(bytes);
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return { data: bytes, lines };
  return { data: Buffer.concat([bytes, NEWLINE]), lines };
}

/** The lines of whole file lines: one per newline, and a last line without one. */
export function countLines(bytes: Buffer): number {
  const n = countNewlines(bytes);
  return bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? n + 1 : n;
}

function countNewlines(bytes: Buffer): number {
  let n = 0;
  for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, nl + 1)) n++;
  return n;
}

/** Each source's MessageLines, for a request whose messages come from several sources. */
export class LinesBySource {
  private readonly bySource = new Map<string, MessageLines>();

  get size(): number {
    return this.bySource.size;
  }

  /** The source's lines; a source not seen yet starts with room for `capacity` bytes. */
  of(source: string, capacity = 64 * 1024): MessageLines {
    let lines = this.bySource.get(source);
    if (!lines) this.bySource.set(source, (lines = new MessageLines(capacity)));
    return lines;
  }

  finish(): Map<string, JournalLines> {
    return new Map([...this.bySource].map(([source, l]) => [source, l.finish()]));
  }
}

const BACKSLASH = 0x5c;
/** A hex digit's value (the scanner has checked it is one). */
const hex = (c: number): number => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);

/**
 * A source's lines written from its messages (_bulk documents', Loki entries', OTLP bodies'): a message
 * holding newlines is that many lines more, and a line's one trailing CR is dropped, as in a file.
 */
export class MessageLines {
  lines = 0;
  private buf: Buffer;
  private at = 0;
  private lineStart = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  /**
   * A message from its JSON string's bytes (quotes excluded, as scanned: escapes well-formed). False,
   * with nothing written, for a `\u` escape of a surrogate: the caller writes JSON.parse's string.
   */
  addJsonString(b: Buffer, start: number, end: number, escaped: boolean): boolean {
    // Unescaped, a JSON string is no longer than its bytes (\uXXXX: 6 bytes for at most 3).
    this.room(end - start + 1);
    if (!escaped) {
      this.at += b.copy(this.buf, this.at, start, end);
      this.endLine();
      return true;
    }
    const [at0, lines0, lineStart0] = [this.at, this.lines, this.lineStart];
    // Copied whole, then unescaped where it lies: the output never overtakes what is still to be read.
    const buf = this.buf;
    const to = this.at + b.copy(buf, this.at, start, end);
    let r = this.at + (b.indexOf(BACKSLASH, start) - start);
    let w = r;
    while (r < to) {
      const c = buf[r]!;
      if (c !== BACKSLASH) {
        buf[w++] = c;
        r++;
        continue;
      }
      const e = buf[r + 1]!;
      r += 2;
      if (e === 0x75) {
        const cp = (hex(buf[r]!) << 12) | (hex(buf[r + 1]!) << 8) | (hex(buf[r + 2]!) << 4) | hex(buf[r + 3]!);
        r += 4;
        if (cp >= 0xd800 && cp <= 0xdfff) {
          [this.at, this.lines, this.lineStart] = [at0, lines0, lineStart0];
          return false;
        }
        if (cp === 0x0a) {
          this.at = w;
          this.endLine();
          w = this.at;
        } else if (cp < 0x80) {
          buf[w++] = cp;
        } else if (cp < 0x800) {
          buf[w++] = 0xc0 | (cp >> 6);
          buf[w++] = 0x80 | (cp & 0x3f);
        } else {
          buf[w++] = 0xe0 | (cp >> 12);
          buf[w++] = 0x80 | ((cp >> 6) & 0x3f);
          buf[w++] = 0x80 | (cp & 0x3f);
        }
      } else if (e === 0x6e) {
        this.at = w;
        this.endLine();
        w = this.at;
      } else {
        buf[w++] = e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x66 ? 0x0c : e;
      }
    }
    this.at = w;
    this.endLine();
    return true;
  }

  /** A message decoded by JSON.parse. */
  addString(message: string): void {
    // A UTF-16 unit takes at most 3 bytes in UTF-8 (a pair, 4).
    this.room(message.length * 3 + 1);
    if (!message.includes('\n')) {
      this.at += this.buf.write(message, this.at, 'utf8');
      this.endLine();
      return;
    }
    for (const line of message.split('\n')) {
      this.at += this.buf.write(line, this.at, 'utf8');
      this.endLine();
    }
  }

  finish(): JournalLines {
    return { data: this.buf.subarray(0, this.at), lines: this.lines };
  }

  /** Ends the line being written: its trailing CR dropped, a newline. */
  private endLine(): void {
    if (this.at > this.lineStart && this.buf[this.at - 1] === 0x0d) this.at--;
    this.buf[this.at++] = 0x0a;
    this.lines++;
    this.lineStart = this.at;
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}
