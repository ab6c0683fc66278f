// Command-line options of run.ts (for development; CI runs it without any).
import { RunnerError } from './errors.js';

export interface CliOptions {
  /** File name patterns (without .json, `*` wildcards); empty = all files. */
  files: string[];
  /** Case-insensitive substring of test descriptions. */
  grep?: string;
  updateKnown: boolean;
  events: boolean;
  verbose: boolean;
  timeoutMs: number;
  help: boolean;
}

export const USAGE = `Usage: tsx test/conformance/run.ts [options]
  --file <name>     only files whose name (without .json) matches; '*' is a wildcard; repeatable
  --grep <text>     only tests whose description contains <text> (case-insensitive)
  --events          also check command-monitoring expectEvents (skipped by default)
  --timeout <ms>    per-test time limit (default 20000)
  --verbose         print every test, not only failures
  --update-known    rewrite known-failures.json with the current failures (maintainers only)
Server: FERRY_TEST_SOURCE_URI if set, else an in-process sandbox.`;

export function parseCli(argv: string[]): CliOptions {
  const options: CliOptions = {
    files: [],
    updateKnown: false,
    events: false,
    verbose: false,
    timeoutMs: 20_000,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new RunnerError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--file') options.files.push(value());
    else if (arg === '--grep') options.grep = value();
    else if (arg === '--update-known') options.updateKnown = true;
    else if (arg === '--events') options.events = true;
    else if (arg === '--verbose') options.verbose = true;
    else if (arg === '--timeout') {
      options.timeoutMs = Number(value());
      if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)
        throw new RunnerError('--timeout needs a positive number');
    } else if (arg === '--help' || arg === '-h') options.help = true;
    else throw new RunnerError(`unknown option ${arg}\n${USAGE}`);
  }
  return options;
}

/** Whether a file name (e.g. "insertOne.json") is selected by the --file patterns. */
export function fileSelected(basename: string, patterns: string[]): boolean {
  if (patterns.length === 0) return true;
  const name = basename.replace(/\.json$/, '');
  return patterns.some((pattern) => {
    const regex = new RegExp(
      `^${pattern
        .replace(/\.json$/, '')
        .split('*')
        .map(escapeRegex)
        .join('.*')}$`,
    );
    return regex.test(name);
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
