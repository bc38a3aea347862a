import { describe, expect, it } from 'vitest';
import { createRecordParser, FormatError, listFormats, validateFormatRequest, type RecordParser } from './index.js';
import { dataLines, ingestFile, needs, sharedData } from './testData.js';

const COMBINED_LINE = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 5 "-" "curl/8"';
const ERROR_LINE = '2016/10/25 14:49:34 [error] 54053#0: *1 open() failed, client: 127.0.0.1, server: localhost';

describe('validateFormatRequest', () => {
  it('accepts auto, presets, and nginx/apache with a compilable logFormat', () => {
    for (const req of [
      { format: 'auto' },
      { format: '' },
      { format: 'nginx_combined' },
      { format: 'apache_error', logFormat: '' },
      { format: 'nginx', logFormat: "log_format main '$remote_addr [$time_local] \"$request\" $status';" },
      { format: 'apache', logFormat: 'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common' },
    ]) {
      expect(() => validateFormatRequest(req), JSON.stringify(req)).not.toThrow();
    }
  });

  it('throws FormatError with a reason fit for a 400 answer', () => {
    const cases: [Parameters<typeof validateFormatRequest>[0], RegExp][] = [
      [{ format: 'nginx_combine' }, /unknown format 'nginx_combine'; known formats: auto, nginx_upstreaminfo/],
      [{ format: 'nginx' }, /format 'nginx' needs logFormat/],
      [{ format: 'apache', logFormat: '  ' }, /format 'apache' needs logFormat/],
      [{ format: 'nginx_combined', logFormat: '$remote_addr' }, /logFormat is only used with format 'nginx' or 'apache'/],
      [{ format: 'auto', logFormat: '$remote_addr' }, /logFormat is only used/],
      [{ format: 'nginx', logFormat: '$remote_addr $status' }, /^log_format: the format has no time field/],
      [{ format: 'apache', logFormat: '%h %r' }, /^LogFormat: the format has no time field/],
    ];
    for (const [req, message] of cases) {
      expect(() => validateFormatRequest(req), JSON.stringify(req)).toThrow(FormatError);
      expect(() => validateFormatRequest(req), JSON.stringify(req)).toThrow(message);
    }
  });

  it('lists auto, every preset and the custom formats', () => {
    const names = listFormats().map((f) => f.name);
    expect(names[0]).toBe('auto');
    expect(names).toEqual(expect.arrayContaining(['nginx', 'apache', 'nginx_error', 'apache_error']));
  });
});

describe('createRecordParser', () => {
  it('reports the resolved format', () => {
    expect(createRecordParser({ format: 'apache_common' }, []).format).toBe('apache_common');
    expect(createRecordParser({ format: 'nginx', logFormat: '[$time_local] $status' }, []).format).toBe('custom');
    expect(createRecordParser({ format: 'auto' }, [ERROR_LINE]).format).toBe('nginx_error');
    expect(createRecordParser({ format: 'auto' }, []).format).toBe('nginx_combined');
    expect(createRecordParser({ format: 'auto' }, ['nothing to see', 'here']).format).toBe('nginx_combined');
  });

  it('auto mode parses every line of a file that mixes combined, vhost, user, missing-dash and error lines', needs(sharedData), () => {
    const out = ingestFile('crowdsec-hub/nginx_http-logs__nginx_http-logs.log');
    expect(out.rejections).toEqual([]);
    expect(out.records.map((r) => r.record.host)).toEqual([null, null, null, 'www.crowdsec.net', 'www.crowdsec11.net', 'www.crowdsec11.net', null, null, 'localhost']);
    expect(out.records.map((r) => r.record.clientIp)).toEqual(Array(8).fill('192.168.1.1').concat(['172.17.0.1']));
  });

  it('auto mode with an error-log primary treats only non-record lines as continuations', needs(sharedData), () => {
    const parser = createRecordParser({ format: 'auto' }, dataLines('crowdsec-hub/nginx-http-generic-bf__nginx-http-generic-bf.log'));
    expect(parser.format).toBe('nginx_error');
    expect(parser.startsRecord(ERROR_LINE)).toBe(true);
    expect(parser.startsRecord(COMBINED_LINE)).toBe(true);
    expect(parser.startsRecord('PHP message: PHP Warning:  something')).toBe(false);
    const access = createRecordParser({ format: 'auto' }, [COMBINED_LINE]);
    expect(access.startsRecord('PHP message: PHP Warning:  something')).toBe(true);
  });

  it('explicit presets also strip a syslog header', () => {
    const result = createRecordParser({ format: 'nginx_combined' }, []).parse(`Sep 15 16:13:46 web nginx[2869]: ${COMBINED_LINE}`);
    expect(result).toMatchObject({ ok: true, record: { endpoint: '/a', clientIp: '1.2.3.4' } });
  });

  it('never throws, whatever the input', () => {
    const parsers: RecordParser[] = [
      createRecordParser({ format: 'auto' }, [COMBINED_LINE]),
      createRecordParser({ format: 'auto' }, [ERROR_LINE]),
      createRecordParser({ format: 'apache_error' }, []),
      createRecordParser({ format: 'nginx', logFormat: `log_format j escape=json '{"t":"$msec","r":"$request","s":"$status"}';` }, []),
    ];
    const inputs = ['', ' ', '"', '[', '[]', '\\', '-', '\uD800', '\u0000', '2016/10/25 14:49:34 [', '[Wed Oct 11 14:32:52 2000] [', 'a'.repeat(10_000), `${COMBINED_LINE}\n${COMBINED_LINE}`, '{"t":"1.5","r":"', '<1>'];
    for (const p of parsers) {
      for (const input of inputs) {
        const result = p.parse(input);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result).toMatchObject({ code: expect.not.stringMatching(/^parser_error$/) as unknown, detail: expect.stringMatching(/./) as unknown });
        expect(typeof p.startsRecord(input)).toBe('boolean');
      }
    }
  });

  // 256 KiB lines: a quadratic scan would need ~10^10 steps per line and never finish; a linear one takes milliseconds.
  it('handles adversarial lines in linear time', { timeout: 60_000 }, () => {
    const parsers = [createRecordParser({ format: 'auto' }, [COMBINED_LINE]), createRecordParser({ format: 'auto' }, [ERROR_LINE])];
    const head = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "';
    const MB = 1 << 18;
    const lines = [
      '"'.repeat(MB),
      '" '.repeat(MB / 2),
      ' '.repeat(MB),
      '\\"'.repeat(MB / 2),
      ' - '.repeat(MB / 3),
      head + 'x" 200 1 "'.repeat(MB / 10),
      head + '" "'.repeat(MB / 3),
      `${head}GET / HTTP/1.1" 200 1 "-" "-" 1 0.1 [a] [b] ${'a, '.repeat(MB / 3)}`,
      `${head}GET / HTTP/1.1" 200 1 "-" "${'\\xE2\\x82'.repeat(MB / 8)}"`,
      `2016/10/25 14:49:34 [error] 1#0: *1 ${', client: 1, server: "'.repeat(MB / 24)}`,
      `[Wed Oct 11 14:32:52.1 2000] [a:error] [pid 1] (${': [client '.repeat(MB / 10)}`,
      `Sep 15 16:13:46 ${'h'.repeat(MB)}`,
    ];
    for (const line of lines) {
      for (const p of parsers) {
        expect(typeof p.parse(line).ok).toBe('boolean');
        expect(typeof p.startsRecord(line)).toBe('boolean');
      }
    }
  });
});
