import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { spoolUpload } from '../ingest/spool.js';
import { contentSha256, multipartFrame } from './uploadBody.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-upload-body-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('contentSha256', () => {
  it('is the hash the server keys the upload by, for plain and gzip files alike', async () => {
    const text = '203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5"\n'.repeat(50);
    const plain = path.join(dir, 'a.log');
    const gz = path.join(dir, 'a.log.gz');
    fs.writeFileSync(plain, text);
    fs.writeFileSync(gz, zlib.gzipSync(text));
    const spooled = await spoolUpload(fs.createReadStream(gz), { spoolDir: path.join(dir, 'spool'), maxBytes: 1 << 20 });
    expect(await contentSha256(plain)).toBe(spooled.sha256);
    expect(await contentSha256(gz)).toBe(spooled.sha256);
  });
});

describe('multipartFrame', () => {
  it('names the part `file` with the base name, escaped, and UTF-8 beyond ASCII', () => {
    expect(multipartFrame('/var/log/nginx/access.log', 'b').head.toString())
      .toBe('--b\r\nContent-Disposition: form-data; name="file"; filename="access.log"\r\nContent-Type: application/octet-stream\r\n\r\n');
    expect(multipartFrame('x/a"b.log', 'b').head.toString()).toContain('filename="a\\"b.log"');
    expect(multipartFrame('x/zugriff-ä.log', 'b').head.toString()).toContain(`filename="zugriff-_.log"; filename*=UTF-8''zugriff-%C3%A4.log`);
  });
});
