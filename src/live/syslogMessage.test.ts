import { describe, expect, it } from 'vitest';
import { readSyslogHeader } from './syslogMessage.js';

/** The header of a message written as text, and its MSG decoded (the RFCs' examples read best as text). */
function parseSyslogMessage(text: string): { pri: number | null; app: string | null; host: string | null; message: string } {
  const raw = Buffer.from(text, 'utf8');
  const { messageStart, ...header } = readSyslogHeader(raw);
  return { ...header, message: raw.toString('utf8', messageStart) };
}

describe('parseSyslogMessage', () => {
  it('reads the examples of RFC 5424 section 6.5', () => {
    // Example 1: no structured data; the MSG begins with a BOM (written \uFEFF here).
    expect(parseSyslogMessage("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8"))
      .toEqual({ pri: 34, host: 'mymachine.example.com', app: 'su', message: "'su root' failed for lonvick on /dev/pts/8" });
    // Example 2: no BOM, microseconds and an offset.
    expect(parseSyslogMessage("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts."))
      .toEqual({ pri: 165, host: '192.0.2.1', app: 'myproc', message: "%% It's time to make the do-nuts." });
    // Example 3: structured data and a message.
    expect(parseSyslogMessage('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 '
      + '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...'))
      .toEqual({ pri: 165, host: 'mymachine.example.com', app: 'evntslog', message: 'An application event log entry...' });
    // Example 4: two SD elements and no message.
    expect(parseSyslogMessage('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 '
      + '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]'))
      .toEqual({ pri: 165, host: 'mymachine.example.com', app: 'evntslog', message: '' });
  });

  it('keeps an RFC 5424 MSG whole, brackets, quotes and spaces included, and honours escapes inside SD values', () => {
    const line = '10.0.0.1 - - [06/Dec/2026:22:10:01 +0000] "GET /search?q=[a b="c"] HTTP/1.1" 200 5  ';
    expect(parseSyslogMessage(`<190>1 2026-12-06T22:10:01Z web-1 web1 - - - ${line}`).message).toBe(line);
    expect(parseSyslogMessage(`<190>1 2026-12-06T22:10:01Z web-1 web1 - - [x@1 a="q\\"]\\\\" b="]"] ${line}`))
      .toEqual({ pri: 190, host: 'web-1', app: 'web1', message: line });
    // NILVALUE host and app.
    expect(parseSyslogMessage('<14>1 - - - - - - hello')).toEqual({ pri: 14, host: null, app: null, message: 'hello' });
  });

  it('reads the examples of RFC 3164 section 5.4, with and without a TAG', () => {
    expect(parseSyslogMessage("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"))
      .toEqual({ pri: 34, host: 'mymachine', app: 'su', message: "'su root' failed for lonvick on /dev/pts/8" });
    expect(parseSyslogMessage('<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!'))
      .toEqual({ pri: 13, host: '10.0.0.99', app: null, message: 'Use the BFG!' });
    expect(parseSyslogMessage('<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It\'s time to make the do-nuts.  %%  Ingredients: Mix=OK'))
      .toMatchObject({ pri: 165 });
  });

  it('reads what nginx, rsyslog and logger send', () => {
    const access = '127.0.0.1 - - [06/Dec/2026:22:10:01 +0000] "GET /api/users/7 HTTP/1.1" 500 12 "-" "curl/8.5.0"';
    // nginx: access_log syslog:server=…,tag=web1 (RFC 3164 with the host name).
    expect(parseSyslogMessage(`<190>Dec  6 22:10:01 web-host web1: ${access}`)).toEqual({ pri: 190, host: 'web-host', app: 'web1', message: access });
    // rsyslog's RSYSLOG_ForwardFormat: an RFC 3339 timestamp, a TAG with a pid.
    expect(parseSyslogMessage(`<134>2026-12-06T22:10:01.123456+00:00 web-host apache[312]: ${access}`))
      .toEqual({ pri: 134, host: 'web-host', app: 'apache', message: access });
    // A sender that leaves the host name out; extra spaces after the colon belong to the message.
    expect(parseSyslogMessage('<13>Dec  6 22:10:01 myapp:   indented')).toEqual({ pri: 13, host: null, app: 'myapp', message: '  indented' });
    // IPv6 host names are not TAGs.
    expect(parseSyslogMessage('<13>Dec  6 22:10:01 ::1 app: x')).toEqual({ pri: 13, host: '::1', app: 'app', message: 'x' });
  });

  it('takes what has no syslog header as the message itself', () => {
    expect(parseSyslogMessage('plain line')).toEqual({ pri: null, host: null, app: null, message: 'plain line' });
    expect(parseSyslogMessage('<999>x')).toEqual({ pri: null, host: null, app: null, message: '<999>x' });
    expect(parseSyslogMessage('<13>no timestamp here')).toEqual({ pri: 13, host: null, app: null, message: 'no timestamp here' });
    // A broken RFC 5424 header (an SD element never closed) is read as RFC 3164 content, not lost.
    expect(parseSyslogMessage('<13>1 2026-12-06T22:10:01Z h a - - [x a="b" rest').message).toContain('[x a="b" rest');
  });

  it('reads the header from the bytes and leaves the MSG as bytes: UTF-8 names decoded, a BOM skipped, invalid UTF-8 untouched', () => {
    const msg = Buffer.concat([Buffer.from('<134>1 2026-12-06T22:10:01Z hôte café - - - \uFEFF'), Buffer.from([0x61, 0xff, 0xfe, 0x62])]);
    const h = readSyslogHeader(msg);
    expect(h).toMatchObject({ pri: 134, host: 'hôte', app: 'café' });
    expect([...msg.subarray(h.messageStart)]).toEqual([0x61, 0xff, 0xfe, 0x62]);
    const bsdMsg = Buffer.from('<190>Dec  6 22:10:01 web-host wéb1[7]: 127.0.0.1 - - x');
    const b = readSyslogHeader(bsdMsg);
    expect(b).toMatchObject({ host: 'web-host', app: 'wéb1' });
    expect(bsdMsg.toString('utf8', b.messageStart)).toBe('127.0.0.1 - - x');
  });
});
