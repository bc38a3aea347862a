import fs from 'node:fs';
import { parse } from 'dotenv';

/**
 * The process environment merged over an optional `.env` file in the working directory.
 * Real environment variables win, as in every dotenv tool. This is the only reader of process.env.
 */
export function readEnvironment(envFile = '.env'): Record<string, string | undefined> {
  const fromFile = fs.existsSync(envFile) ? parse(fs.readFileSync(envFile)) : {};
  return { ...fromFile, ...process.env };
}
