import { parseSpoolFile } from './src/ingest/parseSpoolFile.ts';
for (const rows of [20000, 5000]) for (let i = 0; i < 2; i++) {
const t = Date.now();
await parseSpoolFile({ jobId: '00000000-0000-4000-8000-000000000001', source: 's', spoolPath: '/tmp/p2.log', format: { format: 'auto' }, startOffset: 0, linesBefore: 0, batchRows: rows, maxLineBytes: 65536 }, async () => {});
console.log(rows, 'parse+encode lines/s', Math.round(200000 / ((Date.now() - t) / 1000)));
}
