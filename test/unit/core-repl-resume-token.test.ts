import { describe, expect, it } from 'vitest';
import {
  compareOpTimes,
  compareResumeTokens,
  formatOpTime,
  opTimeOfResumeToken,
} from '../../engine/core/repl/resume-token.js';

// A token in MongoDB's KeyString format: cluster time (1719400000, 5), then version, event type, UUID and _id.
const token = {
  _data:
    '82667BF640000000052B042C0100296E5A1004B5B3B0F0C2D44E4CA5F1E2C5E1A6D3E946645F6964006466A1B2C3D4E5F60718293A4B0004',
};

function tokenAt(t: number, i: number, rest = '2B0229296E04'): { _data: string } {
  const head = Buffer.alloc(9);
  head[0] = 0x82;
  head.writeUInt32BE(t, 1);
  head.writeUInt32BE(i, 5);
  return { _data: head.toString('hex').toUpperCase() + rest };
}

describe('resume tokens', () => {
  it('reads the cluster time at the start of the token', () => {
    expect(opTimeOfResumeToken(token)).toEqual({ t: 1719400000, i: 5 });
  });

  it('reads the largest timestamps without sign errors', () => {
    expect(opTimeOfResumeToken(tokenAt(0xffffffff, 0xfffffffe))).toEqual({ t: 0xffffffff, i: 0xfffffffe });
  });

  it('accepts the token as an OrderedDocument, and lower-case hex', () => {
    const ordered = new Map([['_data', token._data.toLowerCase()]]);
    expect(opTimeOfResumeToken(ordered)).toEqual({ t: 1719400000, i: 5 });
  });

  it('refuses a token that is not a timestamp KeyString', () => {
    expect(() => opTimeOfResumeToken({ _data: '0100' })).toThrow(expect.objectContaining({ code: 'BAD_RESUME_TOKEN' }));
    expect(() => opTimeOfResumeToken({ _data: 'zz' })).toThrow(/not a hex string/);
    expect(() => opTimeOfResumeToken({})).toThrow(/not a hex string/);
    expect(() => opTimeOfResumeToken(null)).toThrow(/not a hex string/);
  });

  it('orders tokens by cluster time, then by what follows it', () => {
    expect(compareResumeTokens(tokenAt(10, 1), tokenAt(10, 2))).toBeLessThan(0);
    expect(compareResumeTokens(tokenAt(11, 0), tokenAt(10, 9))).toBeGreaterThan(0);
    expect(compareResumeTokens(tokenAt(10, 1, '2B02'), tokenAt(10, 1, '2B04'))).toBeLessThan(0);
    expect(compareResumeTokens(tokenAt(10, 1), { _data: tokenAt(10, 1)._data.toLowerCase() })).toBe(0);
  });

  it('compares op times by seconds, then increment', () => {
    expect(compareOpTimes({ t: 1, i: 9 }, { t: 2, i: 0 })).toBeLessThan(0);
    expect(compareOpTimes({ t: 2, i: 3 }, { t: 2, i: 1 })).toBeGreaterThan(0);
    expect(compareOpTimes({ t: 2, i: 3 }, { t: 2, i: 3 })).toBe(0);
  });

  it("formats an op time as PCSM does, 'T.I'", () => {
    expect(formatOpTime({ t: 1719400000, i: 5 })).toBe('1719400000.5');
  });
});
