/**
 * The layout that read a record (LogRecord.layout) is stored as a smallint in `logs.layout`: two
 * bytes a row instead of the name. Append-only: an id once stored keeps its meaning for as long as a
 * row may hold it, so an entry is never renumbered, reused or removed (a retired layout keeps its
 * id); a new layout is a new id at the end. Every preset needs an id (layoutIds.test.ts fails
 * otherwise); a name without one is stored as NULL, like the rows written before layouts were kept.
 * Imports nothing: search reads ids back to names with it.
 */
const IDS: Readonly<Record<string, number>> = {
  custom: 0, // a pasted nginx log_format / Apache LogFormat
  json: 1,
  nginx_combined: 2,
  nginx_main: 3,
  nginx_combined_timed: 4,
  nginx_timed_combined: 5,
  nginx_main_timed: 6,
  nginx_combined_timed_quoted: 7,
  nginx_combined_upstream_quoted: 8,
  nginx_combined_upstream_addr: 9,
  nginx_upstreaminfo: 10,
  nginx_main_ext: 11,
  nginx_upstream_time: 12,
  nginx_upstream_time_spaced: 13,
  nginx_vhost_combined: 14,
  apache_combined: 15,
  apache_common: 16,
  apache_vhost_combined: 17,
  apache_combined_us: 18,
  apache_combined_ms: 19,
  apache_combined_s: 20,
  apache_combinedio: 21,
  apache_ssl_request: 22,
  traefik_clf: 23,
  npmplus: 24,
  nginx_error: 25,
  apache_error: 26,
  combined_extra: 27,
  common_extra: 28,
};

const NAMES = new Map(Object.entries(IDS).map(([name, id]) => [id, name]));

/** The id stored for a layout name; null for a name without one (or no layout). */
export function layoutId(name: string | null): number | null {
  return name !== null && Object.hasOwn(IDS, name) ? IDS[name]! : null;
}

/** The layout name of a stored id; null for NULL (rows from before layouts were stored) or an id this version does not know. */
export function layoutName(id: number | null): string | null {
  return id === null ? null : NAMES.get(id) ?? null;
}

/** Every registered name with its id, in id order. */
export function layoutIds(): { name: string; id: number }[] {
  return Object.entries(IDS).map(([name, id]) => ({ name, id })).sort((a, b) => a.id - b.id);
}
