/** Reads binary COPY data back into rows of raw field values (null for NULL): for checking encoders. */
export function readBinaryCopy(data: Uint8Array): (Buffer | null)[][] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.toString('latin1', 0, 11) !== 'PGCOPY\n\xff\r\n\0') throw new Error('no binary COPY signature');
  let pos = 19 + buf.readInt32BE(15);
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const fields = buf.readInt16BE(pos);
    pos += 2;
    if (fields === -1) break;
    const row: (Buffer | null)[] = [];
    for (let i = 0; i < fields; i++) {
      const len = buf.readInt32BE(pos);
      pos += 4;
      row.push(len === -1 ? null : buf.subarray(pos, pos + len));
      if (len > 0) pos += len;
    }
    rows.push(row);
  }
  if (pos !== buf.length) throw new Error(`${buf.length - pos} bytes after the trailer`);
  return rows;
}
