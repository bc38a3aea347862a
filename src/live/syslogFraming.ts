/**
 * Syslog over a byte stream (TCP), RFC 6587: each message is either octet-counted (`MSG-LEN SP MSG`,
 * section 3.4.1; what rsyslog's omfwd sends with `TCP_Framing="octet-counted"`, and syslog-ng's
 * `syslog()` driver) or ends with a trailer, LF (section 3.4.2; nginx, rsyslog's default, logger).
 * Each message says which: a syslog message begins with `<`, a count with a digit. A NUL trailer
 * (some old senders) ends a message like LF; a CR before the LF is dropped.
 *
 * Memory stays bounded by `maxMessageBytes`: a longer message keeps its first `maxMessageBytes` (the
 * parse then stores it as a line too long) and the rest of it is skipped.
 */
export class SyslogStreamFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Octet counting: bytes of the current message still to come; null between messages or in LF framing. */
  private remaining: number | null = null;
  /** Bytes of a too-long message to skip (past its kept head). */
  private skipping = false;
  /** Digits of a count not complete at the end of the last chunk. */
  private countDigits = '';

  constructor(private readonly maxMessageBytes: number) {}

  /**
   * The messages completed by this chunk, in order (without framing). A message that lies within the
   * chunk is a view of it, not a copy; the head of one that goes on in the next chunk is copied.
   */
  push(chunk: Buffer): Buffer[] {
    const out = this.frame(chunk);
    for (let k = 0; k < this.pending.length; k++) if (this.pending[k]!.buffer === chunk.buffer) this.pending[k] = Buffer.from(this.pending[k]!);
    return out;
  }

  private frame(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining !== null) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.keep(chunk.subarray(i, i + take));
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) {
          this.remaining = null;
          out.push(this.take());
        }
        continue;
      }
      if (this.pendingBytes === 0 && !this.skipping && (this.countDigits !== '' || isDigit(chunk[i]!))) {
        // A count: digits up to the space.
        while (i < chunk.length && isDigit(chunk[i]!) && this.countDigits.length < 10) this.countDigits += String.fromCharCode(chunk[i++]!);
        if (i === chunk.length) break;
        if (chunk[i] === 0x20 && this.countDigits.length > 0 && this.countDigits.length < 10) {
          this.remaining = Number(this.countDigits);
          this.countDigits = '';
          i++;
          if (this.remaining === 0) {
            this.remaining = null;
          }
          continue;
        }
        // Not a count after all (digits not followed by a space): the digits begin an LF-framed message.
        this.keep(Buffer.from(this.countDigits, 'latin1'));
        this.countDigits = '';
        continue;
      }
      // Trailer framing: up to LF or NUL.
      let end = i;
      while (end < chunk.length && chunk[end] !== 0x0a && chunk[end] !== 0x00) end++;
      this.keep(chunk.subarray(i, end));
      if (end === chunk.length) break;
      const message = this.take();
      // A blank line between messages (a sender's extra newline) is no message.
      if (message.length > 0) out.push(message[message.length - 1] === 0x0d ? message.subarray(0, -1) : message);
      i = end + 1;
    }
    return out;
  }

  /**
   * At the end of the stream: a trailer-framed message still open is complete (a sender that closes
   * after its last message without a newline). An octet-counted one cut short is not, and is dropped.
   */
  end(): Buffer[] {
    const open = this.remaining === null && this.pendingBytes > 0;
    const message = this.take();
    this.remaining = null;
    this.countDigits = '';
    return open ? [message] : [];
  }

  private keep(bytes: Buffer): void {
    const room = this.maxMessageBytes - this.pendingBytes;
    if (room <= 0 || bytes.length === 0) {
      if (bytes.length > 0) this.skipping = true;
      return;
    }
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    if (bytes.length > room) this.skipping = true;
    this.pending.push(kept);
    this.pendingBytes += kept.length;
  }

  private take(): Buffer {
    const message = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
    return message;
  }
}

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
