/** A byte count as a person reads it: `512 B`, `3.4 MiB`, `9.8 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
