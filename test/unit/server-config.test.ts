import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, resolveServeConfig } from '../../engine/server/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SOURCE = 'mongodb://a.example:27017/?replicaSet=rs0';
const TARGET = 'mongodb://b.example:27017/?replicaSet=rs1';

describe('ferry serve settings', () => {
  it('has defaults: 127.0.0.1:2242, token on, ferry_internal, info', () => {
    expect(resolveServeConfig({ flags: {}, env: {} })).toEqual({
      port: 2242,
      host: '127.0.0.1',
      auth: true,
      metadataDb: 'ferry_internal',
      logLevel: 'info',
      logJson: false,
      resetState: false,
      demo: false,
    });
  });

  it('takes flags over FERRY_* variables over the YAML file', async () => {
    const path = join(dir, 'ferry.yaml');
    await writeFile(path, `port: 3000\nhost: localhost\nmetadata-db: from_file\nlog-level: warn\nsource: ${SOURCE}\n`);
    const file = await loadConfigFile(path);
    const config = resolveServeConfig({
      flags: { port: '4000' },
      env: { FERRY_PORT: '3500', FERRY_METADATA_DB: 'from_env', FERRY_TARGET_URI: TARGET, FERRY_LOG_JSON: 'true' },
      file,
    });
    expect(config).toMatchObject({
      port: 4000,
      host: 'localhost',
      metadataDb: 'from_env',
      logLevel: 'warn',
      logJson: true,
      source: SOURCE,
      target: TARGET,
      configFile: path,
    });
  });

  it('says where a bad value came from', () => {
    expect(() => resolveServeConfig({ flags: {}, env: { FERRY_PORT: 'abc' } })).toThrow(
      /^FERRY_PORT=abc is not a port/,
    );
    expect(() => resolveServeConfig({ flags: { port: '70000' }, env: {} })).toThrow(/^--port=70000 is not a port/);
    expect(() => resolveServeConfig({ flags: { logLevel: 'loud' }, env: {} })).toThrow(
      /log level: use debug, info, warn, error, silent/,
    );
    expect(() => resolveServeConfig({ flags: { metadataDb: 'a.b' }, env: {} })).toThrow(
      /--metadata-db=a.b is not a database name/,
    );
    expect(() => resolveServeConfig({ flags: {}, env: { FERRY_DEMO: 'perhaps' } })).toThrow(
      /FERRY_DEMO=perhaps is not true or false/,
    );
  });

  it('never repeats a connection string in an error (it may hold a password)', () => {
    let message = '';
    try {
      resolveServeConfig({ flags: { source: 'http://user:secret@host' }, env: {} });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^--source is not a MongoDB connection string/);
    expect(message).not.toContain('secret');
  });

  it('allows --no-auth only on a loopback address', () => {
    expect(resolveServeConfig({ flags: { noAuth: true }, env: {} }).auth).toBe(false);
    expect(resolveServeConfig({ flags: { noAuth: true, host: '::1' }, env: {} }).auth).toBe(false);
    expect(resolveServeConfig({ flags: { noAuth: true, host: 'localhost' }, env: {} }).auth).toBe(false);
    expect(() => resolveServeConfig({ flags: { noAuth: true, host: '0.0.0.0' }, env: {} })).toThrow(
      /--no-auth is allowed only on a loopback address/,
    );
    expect(() => resolveServeConfig({ flags: { host: '192.168.1.10' }, env: { FERRY_NO_AUTH: '1' } })).toThrow(
      /--no-auth/,
    );
  });

  it('checks the combination: identical clusters, demo with URIs, reset without a target', () => {
    expect(() => resolveServeConfig({ flags: { source: SOURCE, target: SOURCE }, env: {} })).toThrow(/identical/);
    expect(() => resolveServeConfig({ flags: { demo: true, source: SOURCE }, env: {} })).toThrow(
      /--demo starts its own/,
    );
    expect(() => resolveServeConfig({ flags: { resetState: true }, env: {} })).toThrow(
      /--reset-state .* give --target/,
    );
    expect(resolveServeConfig({ flags: { resetState: true, demo: true }, env: {} }).resetState).toBe(true);
  });

  it('refuses unknown YAML keys and suggests the right spelling', async () => {
    const path = join(dir, 'camel.yaml');
    await writeFile(path, 'metadataDb: x\n');
    await expect(loadConfigFile(path)).rejects.toThrow(/unknown setting "metadataDb" \(did you mean "metadata-db"\?\)/);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'port: [1\n');
    await expect(loadConfigFile(bad)).rejects.toThrow(/is not valid YAML/);
    await writeFile(bad, '- port\n');
    await expect(loadConfigFile(bad)).rejects.toThrow(/must be a YAML mapping/);
    await expect(loadConfigFile(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read --config .*ENOENT/);
  });

  it('reads typed YAML values (numbers, booleans)', async () => {
    const path = join(dir, 'typed.yaml');
    await writeFile(path, 'port: 0\nno-auth: true\nlog-json: yes\n');
    expect(resolveServeConfig({ flags: {}, env: {}, file: await loadConfigFile(path) })).toMatchObject({
      port: 0,
      auth: false,
      logJson: true,
    });
  });
});
