import { describe, expect, it } from 'vitest';
import { formatIecBytes, parseByteSize, parseGoDuration } from '../../engine/server/sizes.js';

describe('size strings (as PCSM parses them with go-humanize)', () => {
  it('reads SI units as powers of 1000 and IEC units as powers of 1024', () => {
    expect(parseByteSize('500MB')).toBe(500_000_000);
    expect(parseByteSize('1GiB')).toBe(2 ** 30);
    expect(parseByteSize('16 MiB')).toBe(16 * 2 ** 20);
    expect(parseByteSize('2k')).toBe(2000);
    expect(parseByteSize('1.5GB')).toBe(1_500_000_000);
    expect(parseByteSize('1048576')).toBe(1_048_576);
    expect(parseByteSize('1,000 b')).toBe(1000);
    expect(parseByteSize('0')).toBe(0);
  });

  it('refuses what is not a size, saying how to write one', () => {
    expect(() => parseByteSize('lots')).toThrow(/is not a size.*500MB/);
    expect(() => parseByteSize('5 parsecs')).toThrow(/unknown unit "parsecs"/);
    expect(() => parseByteSize('-5MB')).toThrow(/is not a size/);
  });

  it('prints sizes as go-humanize IBytes does, for PCSM-worded messages', () => {
    expect(formatIecBytes(479_994_880)).toBe('458 MiB');
    expect(formatIecBytes(64 * 2 ** 30)).toBe('64 GiB');
    expect(formatIecBytes(2 ** 31 - 1)).toBe('2.0 GiB');
    expect(formatIecBytes(100 * 2 ** 20)).toBe('100 MiB');
    expect(formatIecBytes(5)).toBe('5 B');
    expect(formatIecBytes(1536)).toBe('1.5 KiB');
  });
});

describe('Go durations', () => {
  it('reads the units and compound forms of time.ParseDuration', () => {
    expect(parseGoDuration('500ms')).toBe(500);
    expect(parseGoDuration('1s')).toBe(1000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('250us')).toBeCloseTo(0.25);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('0s')).toBe(0);
    expect(parseGoDuration('-2s')).toBe(-2000);
  });

  it('refuses a number without a unit, as Go does', () => {
    expect(() => parseGoDuration('500')).toThrow(/is not a duration/);
    expect(() => parseGoDuration('1 s')).toThrow(/is not a duration/);
    expect(() => parseGoDuration('')).toThrow(/is not a duration/);
  });
});
