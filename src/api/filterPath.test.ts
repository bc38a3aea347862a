import { describe, expect, it } from 'vitest';
import { FilterPath } from './filterPath.js';

const keep = (filter: string | string[], value: unknown): unknown => FilterPath.parse(filter)!.keep(value);

const BULK = {
  took: 3,
  errors: true,
  items: [
    { create: { _index: 'web', _id: 'a', status: 201, _shards: { total: 1, failed: 0 } } },
    { index: { _index: 'web', _id: 'b', status: 400, error: { type: 'document_parsing_exception', reason: 'no message' } } },
  ],
};

describe('FilterPath', () => {
  it("keeps what shippers ask _bulk for (Filebeat's and Logstash's filter_path), through the items array", () => {
    expect(keep('errors,items.*.error,items.*.status', BULK)).toEqual({
      errors: true,
      items: [{ create: { status: 201 } }, { index: { status: 400, error: { type: 'document_parsing_exception', reason: 'no message' } } }],
    });
    // Items left with nothing are left out, and so is an array left empty.
    expect(keep('errors,items.*.error', BULK)).toEqual({ errors: true, items: [{ index: { error: BULK.items[1]!.index!.error } }] });
    expect(keep('errors,items.*.error', { ...BULK, errors: false, items: [BULK.items[0]] })).toEqual({ errors: false });
  });

  it('matches * within a name, ** across any number of fields, and keeps a matched field whole', () => {
    expect(keep('items.*.st*', BULK)).toEqual({ items: [{ create: { status: 201 } }, { index: { status: 400 } }] });
    expect(keep('**._id', BULK)).toEqual({ items: [{ create: { _id: 'a' } }, { index: { _id: 'b' } }] });
    expect(keep('items.**.failed', BULK)).toEqual({ items: [{ create: { _shards: { failed: 0 } } }] });
    expect(keep('items.create', BULK)).toEqual({ items: [{ create: BULK.items[0]!.create }] });
    expect(keep('items.**', BULK)).toEqual({ items: BULK.items });
    expect(keep('it*', BULK)).toEqual({ items: BULK.items });
  });

  it('removes what a path with a leading - matches, alone or after what the others keep', () => {
    expect(keep('-items', BULK)).toEqual({ took: 3, errors: true });
    expect(keep('-took,-items.*._shards', BULK)).toEqual({
      errors: true,
      items: [{ create: { _index: 'web', _id: 'a', status: 201 } }, BULK.items[1]],
    });
    expect(keep('items.*.status,items.*._shards,-items.**.total', BULK)).toEqual({
      items: [{ create: { status: 201, _shards: { failed: 0 } } }, { index: { status: 400 } }],
    });
  });

  it('keeps nothing of what no path reaches, and takes names literally but for *', () => {
    expect(keep('nothing.here', BULK)).toBeUndefined();
    expect(keep('took.more', BULK)).toBeUndefined();
    expect(keep('a.b', { 'a.b': 1, a: { b: 2 } })).toEqual({ a: { b: 2 } });
    expect(keep('a(', { 'a(': 1, ab: 2 })).toEqual({ 'a(': 1 });
    expect(keep('x*y', { xy: 1, 'x.y': 2, xay: 3, xa: 4 })).toEqual({ xy: 1, 'x.y': 2, xay: 3 });
  });

  it('reads a list with blanks, a repeated parameter, and no filter from an empty one', () => {
    expect(keep(' took , ,errors ', BULK)).toEqual({ took: 3, errors: true });
    expect(keep(['took', 'errors'], BULK)).toEqual({ took: 3, errors: true });
    for (const none of [undefined, '', ' , ', [], 7]) expect(FilterPath.parse(none)).toBeUndefined();
  });
});
