// Byte sizes and durations written as PCSM writes them, so the same strings work against both:
// sizes as go-humanize parses them ("500MB" is SI, 500 000 000 bytes; "1GiB" is IEC, 2^30 bytes;
// a bare number is bytes) and durations as Go's time.ParseDuration does ("500ms", "1m30s").

const sizeUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  p: 1e15,
  pb: 1e15,
  ki: 2 ** 10,
  kib: 2 ** 10,
  mi: 2 ** 20,
  mib: 2 ** 20,
  gi: 2 ** 30,
  gib: 2 ** 30,
  ti: 2 ** 40,
  tib: 2 ** 40,
  pi: 2 ** 50,
  pib: 2 ** 50,
};

/** Bytes of a size string such as "500MB", "1.5 GiB" or "1048576"; throws with a readable message. */
export function parseByteSize(text: string): number {
  const match = /^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-zA-Z]*)\s*$/.exec(text.replaceAll(',', ''));
  if (!match) throw new Error(`"${text}" is not a size: write a number with an optional unit, e.g. 500MB or 1GiB`);
  const unit = sizeUnits[match[2].toLowerCase()];
  if (unit === undefined) {
    throw new Error(
      `"${text}" has an unknown unit "${match[2]}": use B, KB, MB, GB, TB (SI) or KiB, MiB, GiB, TiB (IEC)`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}

const iecUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** A byte count as go-humanize's IBytes prints it ("458 MiB", "2.0 GiB"), for PCSM's own messages. */
export function formatIecBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const exponent = Math.min(Math.floor(Math.log(bytes) / Math.log(1024)), iecUnits.length - 1);
  const value = Math.floor((bytes / 1024 ** exponent) * 10 + 0.5) / 10;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${iecUnits[exponent]}`;
}

const durationUnits: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds of a Go duration string ("500ms", "1m30s", "1.5h", "0"); throws with a readable message. */
export function parseGoDuration(text: string): number {
  const invalid = (): Error =>
    new Error(`"${text}" is not a duration: write a number with a unit (ns, us, ms, s, m, h), e.g. 500ms or 1s`);
  let rest = text.trim();
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  const part = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const match = part.exec(rest);
    if (!match) throw invalid();
    total += Number(match[1]) * durationUnits[match[2]];
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}
