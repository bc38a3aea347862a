import { FormatError, validateFormatRequest, zoneFromSpec } from '../parse/index.js';
import { AppError } from './errors.js';

/**
 * The `format`, `log_format` and `tz` parameters of an upload or a source's format, checked: the
 * zone's name, or a 400 that names the parameter at fault.
 */
export function checkFormatParams(p: { format: string; log_format?: string | undefined; tz?: string | undefined }): { zone: string } {
  try {
    validateFormatRequest({ format: p.format, logFormat: p.log_format });
  } catch (err) {
    if (err instanceof FormatError) throw AppError.badParam(p.log_format ? 'log_format' : 'format', err.message);
    throw err;
  }
  try {
    return { zone: zoneFromSpec(p.tz).name };
  } catch (err) {
    if (err instanceof FormatError) throw AppError.badParam('tz', err.message);
    throw err;
  }
}
