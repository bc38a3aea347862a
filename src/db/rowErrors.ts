/**
 * Errors by which the database refuses a row for its content: the same row fails again however often
 * it is retried, and the rows around it would be accepted. The ingest runner isolates the record
 * that causes one (src/ingest/isolation.ts) and keeps it as a rejected line instead of failing the job.
 *
 * | SQLSTATE | class                   | row-level? | why                                                          |
 * |----------|-------------------------|------------|--------------------------------------------------------------|
 * | 22xxx    | data exception          | yes        | a value out of range, too long, badly encoded                |
 * | 23xxx    | integrity violation     | yes        | a CHECK, NOT NULL or foreign key refusing this row's values  |
 * | 23505    | unique violation        | no         | upsertRollups handles rollup keys itself; one reaching the runner means a line was written twice (a bug), which rejecting a record would hide |
 * | 54xxx    | program limit exceeded  | yes        | "index row size exceeds btree maximum" (a 6,000-character method in the rollup key) |
 * | 08, 40, 53300, 57P0x | connection, conflict, shutdown | no | transient: retried (src/db/retry.ts), the job resumes from its checkpoint |
 * | 53xxx    | insufficient resources  | no         | disk or memory full: every row would be refused; rejecting them would drop data |
 * | 57014    | statement cancelled     | no         | a timeout says nothing about one row                         |
 * | 42xxx, XX, P0, others | syntax, internal, raised | no | a bug or a broken database: the job fails with the error, to be fixed and re-uploaded (which resumes it) |
 */
const ROW_LEVEL_CLASSES = ['22', '23', '54'];
const NOT_ROW_LEVEL = new Set(['23505']);
/** A rejected line's reason carries the database's message up to this length. */
const MAX_MESSAGE_CHARS = 200;

/** The SQLSTATE and message when `err` is a database refusing a row for its content; else undefined. */
export function rowLevelDbError(err: unknown): { code: string; message: string } | undefined {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string' || code.length !== 5) continue;
    if (!ROW_LEVEL_CLASSES.includes(code.slice(0, 2)) || NOT_ROW_LEVEL.has(code)) return undefined;
    const message = e instanceof Error ? e.message : `SQLSTATE ${code}`;
    return { code, message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message };
  }
  return undefined;
}
