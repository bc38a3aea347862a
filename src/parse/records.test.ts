import { describe, expect, it } from 'vitest';
import type { FramedLine } from './framing.js';
import { RecordAssembler, type FramedRecord } from './records.js';

function lines(texts: string[], tooLong: number[] = []): FramedLine[] {
  let offset = 0;
  return texts.map((text, i) => {
    const byteStart = offset;
    offset += Buffer.byteLength(text) + 1;
    return { text, lineNo: i + 1, byteStart, byteEnd: offset, tooLong: tooLong.includes(i + 1) };
  });
}

const startsWithDate = (line: string): boolean => /^\d{4}\/\d\d\/\d\d /.test(line);

function assemble(assembler: RecordAssembler, input: FramedLine[]): FramedRecord[] {
  return [...input.flatMap((l) => assembler.push(l)), ...assembler.flush()];
}

describe('RecordAssembler', () => {
  it('emits one record per line for single-line formats, each when the next one starts', () => {
    const asm = new RecordAssembler(() => true);
    const [a, b] = lines(['one', 'two']);
    expect(asm.push(a!)).toEqual([]);
    expect(asm.pendingStart()).toEqual({ byteStart: 0, lineNo: 1 });
    expect(asm.push(b!)).toEqual([{ text: 'one', lineNo: 1, lineCount: 1, byteStart: 0, byteEnd: 4, tooLong: false }]);
    expect(asm.flush()).toEqual([{ text: 'two', lineNo: 2, lineCount: 1, byteStart: 4, byteEnd: 8, tooLong: false }]);
    expect(asm.pendingStart()).toBeNull();
  });

  it('appends continuation lines to the record before them', () => {
    const input = lines([
      '2019/10/30 23:26:34 [error] 1#1: *1 FastCGI sent in stderr: "PHP message: a',
      'PHP message: b',
      'PHP message: c"',
      '2019/11/05 14:50:44 [error] 1#1: *3 next',
    ]);
    const records = assemble(new RecordAssembler(startsWithDate), input);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ lineNo: 1, lineCount: 3, byteStart: 0, byteEnd: input[2]!.byteEnd });
    expect(records[0]!.text.split('\n')).toEqual([input[0]!.text, 'PHP message: b', 'PHP message: c"']);
    expect(records[1]).toMatchObject({ lineNo: 4, lineCount: 1, byteStart: input[3]!.byteStart });
  });

  it('makes a continuation line at the start of input a record of its own', () => {
    const records = assemble(new RecordAssembler(startsWithDate), lines(['PHP message: orphan', '2019/11/05 14:50:44 [error] x']));
    expect(records.map((r) => [r.lineNo, r.lineCount])).toEqual([
      [1, 1],
      [2, 1],
    ]);
  });

  it('treats pushed empty lines as transparent', () => {
    const records = assemble(new RecordAssembler(startsWithDate), lines(['2019/11/05 14:50:44 [error] x', '', 'more']));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ text: '2019/11/05 14:50:44 [error] x\nmore', lineCount: 2 });
  });

  it('keeps a cut (too long) line in a record of its own', () => {
    const records = assemble(new RecordAssembler(startsWithDate), lines(['2019/11/05 14:50:44 [error] x', 'long…', 'after'], [2]));
    expect(records.map((r) => [r.lineNo, r.lineCount, r.tooLong])).toEqual([
      [1, 1, false],
      [2, 1, true],
      [3, 1, false],
    ]);
  });

  it('bounds a record by lines and by bytes', () => {
    const input = lines(['2019/11/05 14:50:44 [error] x', 'a', 'b', 'c', 'd']);
    expect(assemble(new RecordAssembler(startsWithDate, { maxRecordLines: 2 }), input).map((r) => r.lineCount)).toEqual([2, 2, 1]);
    expect(assemble(new RecordAssembler(startsWithDate, { maxRecordBytes: 34 }), input).map((r) => r.lineCount)).toEqual([3, 2]);
  });

  it('reports where the pending record starts, for checkpoints', () => {
    const asm = new RecordAssembler(startsWithDate);
    const input = lines(['2019/11/05 14:50:44 [error] x', 'cont', '2019/11/05 14:50:45 [error] y']);
    asm.push(input[0]!);
    asm.push(input[1]!);
    expect(asm.pendingStart()).toEqual({ byteStart: 0, lineNo: 1 });
    asm.push(input[2]!);
    expect(asm.pendingStart()).toEqual({ byteStart: input[2]!.byteStart, lineNo: 3 });
  });
});
