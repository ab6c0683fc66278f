// Hand-built BSON, so codec tests check bytes that no encoder under test produced.
export function cstring(value: string): Buffer {
  return Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])]);
}

export function int32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value);
  return buf;
}

export function int64(value: bigint): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigInt64LE(value);
  return buf;
}

export function double(value: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeDoubleLE(value);
  return buf;
}

export function string(value: string): Buffer {
  const body = cstring(value);
  return Buffer.concat([int32(body.length), body]);
}

export function element(type: number, name: string, value: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from([type]), cstring(name), value]);
}

export function document(...elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  return Buffer.concat([int32(body.length + 5), body, Buffer.from([0])]);
}

export function binary(subtype: number, data: Buffer): Buffer {
  return Buffer.concat([int32(data.length), Buffer.from([subtype]), data]);
}

export function hex(value: string): Buffer {
  return Buffer.from(value, 'hex');
}
