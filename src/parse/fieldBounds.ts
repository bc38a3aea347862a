/**
 * Bounds on parsed values (issue 13, #8 and #9). A log line is text anyone can shape: one request to a
 * logged nginx plants a 6,000-character method, a proxy writes a 12-digit request time. Two kinds:
 *
 * **Plausibility of numbers.** A duration or size beyond these makes the line a rejection (code
 * `implausible_value`) whose detail names the field and the bound. Rejected rather than clamped: the
 * line is kept, with why, and no number the log did not say is stored (a clamped 30-day latency
 * would skew every sum and percentile as much as a wrong one). Below the bounds every value stays far
 * from the int64 range of the rollup sums: 2^63 µs is 3.5 million requests of 30 days each in one
 * bucket, 2^63 bytes 8,192 of 1 PiB (and those sums saturate rather than wrap: src/ingest/binaryCopy.ts,
 * migration 0011).
 *
 * **Size of key fields.** Method, route, source and client address are in btree keys, and PostgreSQL
 * refuses an index row over 2,704 bytes (a third of a page): one such value failed a whole job. Each is
 * bounded where it is parsed or normalised; beyond its bound a value is null (method, protocol, host,
 * client) or cut (route, at a segment boundary). The widest key, rollups_1m's unique one, then takes
 * at most, in UTF-8 bytes (a UTF-16 unit is at most 3 of them, a code point at most 4):
 *
 *   bucket 8 + source 800 (200 code points, validated at upload: src/api/routes/upload.ts) + 4
 *   + route 1,024 + 4 + method 32 (ASCII) + 1 + status 2 + level 5 + 1
 *   + alignment ≤ 6 × 7 + index tuple header 8 + null bitmap 1           ≈ 1,932 bytes,
 *
 * well under 2,704. client_tops_1d's primary key (bucket, source, client_ip): 8 + 804 + 255 × 3 + 4
 * + 21 + 9 ≈ 1,611. rollups_1d's (route, bucket) and (source, bucket) indexes are smaller still. Host
 * and protocol are in no key today; they are bounded so that they cannot become the next one.
 */

/** Longest plausible duration: 30 days. Long-lived websocket and long-poll requests log hours. */
export const MAX_DURATION_MS = 30 * 86_400_000;
/** Largest plausible size of one response: 2^50 bytes (1 PiB). */
export const MAX_BYTES = 2 ** 50;

/** An HTTP method: the longest real ones (`BASELINE-CONTROL`, `VERSION-CONTROL`) have 16 characters. */
export const MAX_METHOD_CHARS = 32;
/** A protocol: `HTTP/1.1`, `HTTP/2.0`, `HTTP/3`. */
export const MAX_PROTOCOL_CHARS = 16;
/** A host name: DNS names have at most 253 characters. */
export const MAX_HOST_CHARS = 255;
/** A client address: an IPv6 address with a zone, a host name (HostnameLookups On), nginx's `unix:`. */
export const MAX_CLIENT_CHARS = 255;
/** A normalised route, in UTF-8 bytes (what the index stores). */
export const MAX_ROUTE_BYTES = 1024;

/** The value, or null when it has more than `max` UTF-16 units (a key field beyond its bound). */
export function withinChars(value: string | null, max: number): string | null {
  return value !== null && value.length > max ? null : value;
}

/** The detail of an implausible duration or size (code `implausible_value`): the field, the value (an excerpt) and the bound. */
export function implausibleDetail(label: string, shown: string, unit: string, kind: 'duration' | 'size'): string {
  return `${label} ${shown} ${unit} (over ${kind === 'duration' ? '30 days' : '1 PiB'})`;
}
