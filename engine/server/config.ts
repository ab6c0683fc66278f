// `ferry serve` settings from four places, highest first: command-line flags, FERRY_* environment
// variables, a YAML file (--config FILE or FERRY_CONFIG), defaults. Every setting has the same name
// everywhere (the flag without its dashes is the YAML key; the environment variable is listed in
// `settings`). A bad value is reported with where it came from ("FERRY_PORT=abc: ..."), and the
// combination is checked at the end (e.g. --no-auth only on a loopback address).
import { readFile } from 'node:fs/promises';
import { ConnectionString } from 'mongodb-connection-string-url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { startOptionsSchema } from '../protocol.js';
import { isLoopbackHost } from './loopback.js';
import type { ServerLogLevel } from './server-log.js';

export interface ServeConfig {
  source?: string;
  target?: string;
  port: number;
  host: string;
  /** False with --no-auth. */
  auth: boolean;
  metadataDb: string;
  logLevel: ServerLogLevel;
  logJson: boolean;
  resetState: boolean;
  demo: boolean;
  /** The YAML file the settings were read from, if any. */
  configFile?: string;
}

export class ConfigError extends Error {}

/** A setting's name in code: ServeConfig's fields, with --no-auth as `noAuth`. */
export type SettingKey = Exclude<keyof ServeConfig, 'auth' | 'configFile'> | 'noAuth';
type Value = string | number | boolean;

interface Setting {
  flag: string;
  env: string;
  /** The value as the setting holds it; throws with the reason (the caller adds where it came from). */
  parse(value: unknown): Value;
}

const text = (what: string) => (value: unknown) => {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`is not ${what}`);
  return value.trim();
};

const uri = (value: unknown): string => {
  const parsed = text('a connection string')(value);
  try {
    new ConnectionString(parsed);
  } catch (error) {
    // The driver's message never repeats the string itself, so no password is echoed.
    throw new Error(
      `is not a MongoDB connection string (${(error as Error).message}); write mongodb://host:port/?replicaSet=NAME`,
      {
        cause: error,
      },
    );
  }
  return parsed;
};

const port = (value: unknown): number => {
  const number = typeof value === 'number' ? value : /^\d{1,5}$/.test(String(value).trim()) ? Number(value) : NaN;
  if (!Number.isInteger(number) || number < 0 || number > 65535)
    throw new Error('is not a port: use 1 to 65535 (0 picks a free one)');
  return number;
};

const boolean = (value: unknown): boolean => {
  if (typeof value === 'boolean') return value;
  const word = String(value).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(word)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(word)) return false;
  throw new Error('is not true or false');
};

const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
const logLevel = (value: unknown): string => {
  const level = String(value).trim().toLowerCase();
  if (!(logLevels as readonly string[]).includes(level))
    throw new Error(`is not a log level: use ${logLevels.join(', ')}`);
  return level;
};

const metadataDbSchema = startOptionsSchema.shape.metadataDb.unwrap();
const metadataDb = (value: unknown): string => {
  if (!metadataDbSchema.safeParse(value).success)
    throw new Error('is not a database name (no dots, spaces, $, / or \\)');
  return String(value);
};

export const settings: Record<SettingKey, Setting> = {
  source: { flag: 'source', env: 'FERRY_SOURCE_URI', parse: uri },
  target: { flag: 'target', env: 'FERRY_TARGET_URI', parse: uri },
  port: { flag: 'port', env: 'FERRY_PORT', parse: port },
  host: { flag: 'host', env: 'FERRY_HOST', parse: text('an address to listen on') },
  noAuth: { flag: 'no-auth', env: 'FERRY_NO_AUTH', parse: boolean },
  metadataDb: { flag: 'metadata-db', env: 'FERRY_METADATA_DB', parse: metadataDb },
  logLevel: { flag: 'log-level', env: 'FERRY_LOG_LEVEL', parse: logLevel },
  logJson: { flag: 'log-json', env: 'FERRY_LOG_JSON', parse: boolean },
  resetState: { flag: 'reset-state', env: 'FERRY_RESET_STATE', parse: boolean },
  demo: { flag: 'demo', env: 'FERRY_DEMO', parse: boolean },
};

export const DEFAULT_PORT = 2242;

const defaults: Record<SettingKey, Value | undefined> = {
  source: undefined,
  target: undefined,
  port: DEFAULT_PORT,
  host: '127.0.0.1',
  noAuth: false,
  metadataDb: startOptionsSchema.parse({}).metadataDb,
  logLevel: 'info',
  logJson: false,
  resetState: false,
  demo: false,
};

export interface ConfigSources {
  /** Flags given on the command line only (not commander's defaults), keyed as `settings`. */
  flags: Partial<Record<SettingKey, unknown>>;
  env: NodeJS.ProcessEnv;
  /** The YAML file's path and parsed contents (see loadConfigFile). */
  file?: { path: string; values: Record<string, unknown> };
}

export function resolveServeConfig({ flags, env, file }: ConfigSources): ServeConfig {
  const merged = { ...defaults };
  for (const key of Object.keys(settings) as SettingKey[]) {
    const setting = settings[key];
    const layers: [unknown, string][] = [
      [file?.values[setting.flag], `${setting.flag} in ${file?.path}`],
      [env[setting.env], `${setting.env}`],
      [flags[key], `--${setting.flag}`],
    ];
    for (const [value, where] of layers) {
      if (value === undefined) continue;
      try {
        merged[key] = setting.parse(value);
      } catch (error) {
        const shown = key === 'source' || key === 'target' ? '' : `=${String(value)}`;
        throw new ConfigError(`${where}${shown} ${(error as Error).message}`);
      }
    }
  }
  const config: ServeConfig = {
    port: merged.port as number,
    host: merged.host as string,
    auth: !(merged.noAuth as boolean),
    metadataDb: merged.metadataDb as string,
    logLevel: merged.logLevel as ServerLogLevel,
    logJson: merged.logJson as boolean,
    resetState: merged.resetState as boolean,
    demo: merged.demo as boolean,
  };
  if (merged.source !== undefined) config.source = merged.source as string;
  if (merged.target !== undefined) config.target = merged.target as string;
  if (file) config.configFile = file.path;
  checkCombination(config);
  return config;
}

function checkCombination(config: ServeConfig): void {
  if (!config.auth && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `--no-auth is allowed only on a loopback address (127.0.0.1, ::1, localhost), and --host ${config.host} is not one: ` +
        'other machines could drive the migration. Keep the token (leave out --no-auth), or listen on 127.0.0.1',
    );
  }
  if (config.source !== undefined && config.source === config.target) {
    throw new ConfigError('source URI and target URI are identical: the target must be another cluster');
  }
  if (config.demo && (config.source !== undefined || config.target !== undefined)) {
    throw new ConfigError('--demo starts its own source and target clusters: leave out --source and --target');
  }
  if (config.resetState && config.target === undefined && !config.demo) {
    throw new ConfigError('--reset-state clears the checkpoint on the target: give --target too');
  }
}

const fileSchema = z.record(z.string(), z.unknown());
const yamlKeys = new Set(Object.values(settings).map((setting) => setting.flag));

/** Reads a YAML settings file: a mapping whose keys are the flags' names (`port: 2242`, `no-auth: true`). */
export async function loadConfigFile(path: string): Promise<{ path: string; values: Record<string, unknown> }> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read --config ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}): check the path`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(source);
  } catch (error) {
    throw new ConfigError(`${path} is not valid YAML: ${(error as Error).message}`);
  }
  const values = fileSchema.safeParse(parsed ?? {});
  if (!values.success) throw new ConfigError(`${path} must be a YAML mapping of settings, e.g. "port: 2242"`);
  for (const key of Object.keys(values.data)) {
    if (yamlKeys.has(key)) continue;
    const kebab = key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`).replaceAll('_', '-');
    const hint = yamlKeys.has(kebab) ? `did you mean "${kebab}"?` : `known keys: ${[...yamlKeys].join(', ')}`;
    throw new ConfigError(`${path}: unknown setting "${key}" (${hint})`);
  }
  return { path, values: values.data };
}
