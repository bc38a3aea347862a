/** Start of the UTC-aligned bucket of `unit` ms (a minute, an hour, a day, 5 minutes…) that holds `ms`. */
export function floorTo(ms: number, unit: number): number {
  return ms - (((ms % unit) + unit) % unit);
}

/** Start of the first bucket of `unit` ms at or after `ms`. */
export function ceilTo(ms: number, unit: number): number {
  return -floorTo(-ms, unit);
}
