import type { Db } from '../../src/db/db.js';

/**
 * Makes the database refuse the `logs` rows for which `condition` (a plpgsql expression over NEW)
 * holds, with an error that is not about the row's data (P0001, `test: line N refused`): the job
 * fails after committing its earlier batches, as a job given up after a crash would. Returns what
 * lifts the refusal. `name` keeps the triggers of several tests in one database apart.
 */
export async function refuseLogRows(db: Db, name: string, condition: string): Promise<() => Promise<void>> {
  const fn = `test_refuse_${name}`;
  await db.exec(`
    CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${condition} THEN RAISE EXCEPTION 'test: line % refused', NEW.line_no; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER ${fn} BEFORE INSERT ON logs FOR EACH ROW EXECUTE FUNCTION ${fn}();`);
  return async () => {
    await db.exec(`DROP TRIGGER ${fn} ON logs; DROP FUNCTION ${fn}()`);
  };
}
