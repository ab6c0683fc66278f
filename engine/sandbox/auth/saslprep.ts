// SASLprep (RFC 4013) for SCRAM-SHA-256 passwords: the server must prepare a password exactly as the
// driver does, or the salted passwords differ and a correct password fails. Bidirectional-text checks
// are left out: they only reject strings, and mongod's clients reject those first.
import { CommandError } from '../errors.js';

type Range = readonly [number, number];

const inRanges = (ranges: readonly Range[], code: number): boolean =>
  ranges.some(([low, high]) => code >= low && code <= high);

// RFC 3454 C.1.2, mapped to SPACE.
const nonAsciiSpaces: Range[] = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];

// RFC 3454 B.1, mapped to nothing.
const mappedToNothing: Range[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200c, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];

// RFC 3454 C.2 to C.9: controls, private use, non-characters, surrogates, bidi and tagging characters.
const prohibited: Range[] = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x0340, 0x0341],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x180e, 0x180e],
  [0x200e, 0x200f],
  [0x2028, 0x202e],
  [0x2061, 0x2063],
  [0x206a, 0x206f],
  [0x2ff0, 0x2ffb],
  [0xd800, 0xdfff],
  [0xe000, 0xf8ff],
  [0xfdd0, 0xfdef],
  [0xfff9, 0xffff],
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
  [0xf0000, 0x10ffff],
];

// Unassigned code points are prohibited in stored strings (RFC 4013 section 2.5).
const UNASSIGNED = /\p{Cn}/u;

export function saslprep(input: string): string {
  const mapped = [...input]
    .filter((char) => !inRanges(mappedToNothing, char.codePointAt(0) ?? 0))
    .map((char) => (inRanges(nonAsciiSpaces, char.codePointAt(0) ?? 0) ? ' ' : char))
    .join('')
    .normalize('NFKC');
  for (const char of mapped) {
    const code = char.codePointAt(0) ?? 0;
    const isNonCharacter = (code & 0xfffe) === 0xfffe;
    if (inRanges(prohibited, code) || isNonCharacter || UNASSIGNED.test(char))
      throw new CommandError('BadValue', 'Error preparing SASL string: prohibited character');
  }
  return mapped;
}
