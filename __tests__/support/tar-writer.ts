// A minimal ustar/pax writer for tests that need generated archives (limits, bombs, deep paths):
// each member is a header and its padded data; a pax `x` record carries paths past 100 bytes.

/** One ustar header block; `size` is what the header says (the data is written separately). */
export function ustarHeader(name: string, size: number, type = '0'): Buffer {
  const b = Buffer.alloc(512);
  b.write(name.slice(0, 100), 0, 100, 'utf8');
  b.write('0000644\0', 100, 8, 'latin1');
  b.write('0000000\0', 108, 8, 'latin1');
  b.write('0000000\0', 116, 8, 'latin1');
  b.write(size.toString(8).padStart(11, '0') + '\0', 124, 12, 'latin1');
  b.write('00000000000\0', 136, 12, 'latin1');
  b.write(type, 156, 1, 'latin1');
  b.write('ustar\u000000', 257, 8, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

export function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** A pax record `"<len> key=value\n"`, its length counting its own digits. */
export function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`, 'utf8');
}

/** A member at `path` (a pax header first when the path is longer than ustar's name field). */
export function tarMember(path: string, data: Buffer | string = '', type = '0'): Buffer {
  const bytes = Buffer.from(data);
  const parts: Buffer[] = [];
  if (Buffer.byteLength(path) > 100) {
    const pax = paxRecord('path', path);
    parts.push(ustarHeader('PaxHeaders/x', pax.length, 'x'), padded(pax));
  }
  parts.push(ustarHeader(path, bytes.length, type), padded(bytes));
  return Buffer.concat(parts);
}

/** The end-of-archive marker. */
export const TAR_END = Buffer.alloc(1024);

export function tarOf(...members: Buffer[]): Buffer {
  return Buffer.concat([...members, TAR_END]);
}
