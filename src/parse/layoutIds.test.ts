import { describe, expect, it } from 'vitest';
import { layoutId, layoutIds, layoutName } from './layoutIds.js';
import { PRESETS } from './presets.js';

describe('layout ids', () => {
  it('every preset has an id, and so do custom (0) and json', () => {
    const missing = PRESETS.map((p) => p.name).filter((name) => layoutId(name) === null);
    expect(missing).toEqual([]);
    expect(layoutId('custom')).toBe(0);
    expect(layoutId('json')).not.toBeNull();
  });

  it('ids are distinct smallints and read back to their names', () => {
    const all = layoutIds();
    expect(new Set(all.map((l) => l.id)).size).toBe(all.length);
    for (const { name, id } of all) {
      expect(Number.isInteger(id) && id >= 0 && id < 32_768).toBe(true);
      expect(layoutName(id)).toBe(name);
    }
  });

  it('ids already stored keep their meaning (append-only: add new names, never renumber these)', () => {
    const stored: [string, number][] = [
      ['custom', 0], ['json', 1], ['nginx_combined', 2], ['nginx_main', 3], ['nginx_combined_timed', 4], ['nginx_timed_combined', 5],
      ['nginx_main_timed', 6], ['nginx_combined_timed_quoted', 7], ['nginx_combined_upstream_quoted', 8], ['nginx_combined_upstream_addr', 9],
      ['nginx_upstreaminfo', 10], ['nginx_main_ext', 11], ['nginx_upstream_time', 12], ['nginx_upstream_time_spaced', 13],
      ['nginx_vhost_combined', 14], ['apache_combined', 15], ['apache_common', 16], ['apache_vhost_combined', 17], ['apache_combined_us', 18],
      ['apache_combined_ms', 19], ['apache_combined_s', 20], ['apache_combinedio', 21], ['apache_ssl_request', 22], ['traefik_clf', 23],
      ['npmplus', 24], ['nginx_error', 25], ['apache_error', 26], ['combined_extra', 27], ['common_extra', 28],
    ];
    for (const [name, id] of stored) expect(layoutId(name), name).toBe(id);
  });

  it('no layout, an unknown name or an unknown id is null', () => {
    expect(layoutId(null)).toBeNull();
    expect(layoutId('toString')).toBeNull();
    expect(layoutName(null)).toBeNull();
    expect(layoutName(32_000)).toBeNull();
  });
});
