/**
 * Length of a syslog header in front of a log line (0 when there is none), for logs shipped through
 * syslog (nginx `access_log syslog:`, rsyslog files):
 *   `Sep 15 16:13:46 host nginx[2869]: `, `<134>Sep 15 16:13:46 host nginx: `, `host nginx[2833]: `,
 *   `2021-09-15T16:13:46.123+00:00 host nginx[2869]: ` (RFC 3339 timestamps, rsyslog),
 *   and a doubled `host nginx[23141]: host nginx: ` seen in fail2ban's samples.
 * Without a timestamp or <PRI>, the tag must carry a `[pid]`, so that access lines such as
 * `example.com:80 unix: - - …` are never mistaken for a header.
 */
export function syslogPrefixLength(line: string): number {
  const first = headerLength(line, 0, false);
  if (first === 0) return 0;
  return first + headerLength(line, first, true);
}

function headerLength(s: string, start: number, relaxed: boolean): number {
  let p = start;
  let anchored = relaxed;
  if (s.charCodeAt(p) === 60) {
    // <PRI>
    let q = p + 1;
    while (q < p + 5 && isDigit(s.charCodeAt(q))) q++;
    if (q === p + 1 || s.charCodeAt(q) !== 62) return 0;
    p = q + 1;
    anchored = true;
  }
  const ts = timestampLength(s, p);
  if (ts > 0) {
    p += ts;
    anchored = true;
  }
  // HOSTNAME TAG[PID]:
  const hostEnd = scan(s, p, isHostChar);
  if (hostEnd === p || s.charCodeAt(hostEnd) !== 32) return 0;
  const tagStart = hostEnd + 1;
  let q = scan(s, tagStart, isTagChar);
  if (q === tagStart) return 0;
  if (s.charCodeAt(q) === 91) {
    const pidEnd = scan(s, q + 1, isDigit);
    if (pidEnd === q + 1 || s.charCodeAt(pidEnd) !== 93) return 0;
    q = pidEnd + 1;
    anchored = true;
  }
  if (!anchored || s.charCodeAt(q) !== 58 || s.charCodeAt(q + 1) !== 32) return 0;
  return q + 2 - start;
}

/** `Mmm dd HH:MM:SS ` (RFC 3164, day space-padded) or an RFC 3339 timestamp and a space; 0 if neither. */
function timestampLength(s: string, p: number): number {
  if (isUpper(s.charCodeAt(p)) && s.charCodeAt(p + 3) === 32 && s.charCodeAt(p + 9) === 58 && s.charCodeAt(p + 12) === 58 && s.charCodeAt(p + 15) === 32) {
    return 16;
  }
  if (isDigit(s.charCodeAt(p)) && s.charCodeAt(p + 4) === 45 && s.charCodeAt(p + 10) === 84) {
    const end = s.indexOf(' ', p);
    return end === -1 ? 0 : end + 1 - p;
  }
  return 0;
}

function scan(s: string, p: number, accept: (c: number) => boolean): number {
  while (p < s.length && accept(s.charCodeAt(p))) p++;
  return p;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}

function isHostChar(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 46 || c === 45 || c === 95 || c === 58;
}

function isTagChar(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 46 || c === 45 || c === 95 || c === 47;
}
