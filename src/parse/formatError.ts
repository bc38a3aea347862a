/**
 * A format request that cannot be honoured: an unknown format name, or a pasted nginx `log_format` /
 * Apache `LogFormat` that cannot be compiled. The message says why, in words fit for a 400 answer.
 */
export class FormatError extends Error {
  override readonly name = 'FormatError';
}
