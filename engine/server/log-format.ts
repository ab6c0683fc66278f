// A readable form of pino's JSON lines for a terminal (pino-pretty is not a dependency):
//   12:04:05.123 INFO  server  listening  url=http://127.0.0.1:2242
// Fields follow the message as key=value; values with spaces are quoted. Lines that are not pino JSON
// pass through unchanged.

const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const levelColors: Record<number, string> = { 20: '\x1b[90m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
const reserved = new Set(['level', 'time', 'name', 'msg', 'pid', 'hostname']);

export function formatLogLine(line: string, options: { color?: boolean } = {}): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = typeof record.level === 'number' ? record.level : 30;
  const levelName = (levelNames[level] ?? String(level)).padEnd(5);
  const time = typeof record.time === 'string' ? record.time.slice(11, 23) : new Date().toISOString().slice(11, 23);
  const name = typeof record.name === 'string' ? `${record.name}  ` : '';
  const fields = Object.entries(record)
    .filter(([key]) => !reserved.has(key))
    .map(([key, value]) => `${key}=${fieldText(value)}`)
    .join(' ');
  const text = `${time} ${levelName} ${name}${String(record.msg ?? '')}${fields ? `  ${fields}` : ''}`;
  const color = options.color ? levelColors[level] : undefined;
  return color ? `${color}${text}\x1b[0m\n` : `${text}\n`;
}

function fieldText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return typeof value === 'string' && /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}
