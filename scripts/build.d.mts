/** Types of scripts/build.mjs, for its tests. */
export function newestMtimeMs(p: string): number;
export function dashboardStale(dir?: string): boolean;
