/**
 * What an API key may do. `ingest`: upload and follow jobs. `read`: search, analytics, alert history.
 * `admin`: everything, including rules, silences, keys and settings.
 */
export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** admin holds every scope; the others only themselves. */
export function grants(held: readonly Scope[], needed: Scope): boolean {
  return held.includes('admin') || held.includes(needed);
}
