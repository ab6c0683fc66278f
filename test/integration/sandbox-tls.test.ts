// TLS is a sandbox start option (startSandbox({ tls })), so these tests always start their own sandbox:
// a throwaway CA and a server certificate for 127.0.0.1/localhost are made with the openssl CLI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { startSandbox, type RunningSandbox } from '../../engine/sandbox/index.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const opensslConfig = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = Ferry test
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
`;

interface Certificates {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

function makeCertificates(): Certificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-tls-'));
  const file = (name: string): string => path.join(dir, name);
  writeFileSync(file('openssl.cnf'), opensslConfig);
  // Space-separated arguments, then any that contain spaces.
  const openssl = (args: string, ...more: string[]): void => {
    execFileSync('openssl', [...args.split(' '), ...more], { cwd: dir, stdio: 'ignore' });
  };
  const newKey = '-config openssl.cnf -nodes -newkey rsa:2048';
  openssl(`req -x509 ${newKey} -keyout ca.key -out ca.pem -days 2 -extensions ca`, '-subj', '/CN=Ferry test CA');
  openssl(`req -new ${newKey} -keyout server.key -out server.csr -subj /CN=localhost`);
  openssl(
    'x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 ' +
      '-extfile openssl.cnf -extensions server',
  );
  return { dir, caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server.key') };
}

async function connectionFails(
  uri: string,
  options: ConstructorParameters<typeof MongoClient>[1] = {},
): Promise<Error> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500, ...options });
  try {
    await client.db('admin').command({ ping: 1 });
  } catch (error) {
    return error as Error;
  } finally {
    await client.close();
  }
  throw new Error('the connection unexpectedly succeeded');
}

describe.skipIf(!hasOpenssl())('TLS (needs the openssl CLI to make test certificates)', () => {
  let certificates: Certificates;
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    certificates = makeCertificates();
    sandbox = await startSandbox({ port: 0, tls: { certFile: certificates.certFile, keyFile: certificates.keyFile } });
  });

  afterAll(async () => {
    await sandbox?.stop();
    if (certificates) rmSync(certificates.dir, { recursive: true, force: true });
  });

  it('puts tls=true in the URI', () => {
    expect(new URLSearchParams(sandbox.uri.split('?')[1]).get('tls')).toBe('true');
  });

  it('serves a driver that trusts the CA', async () => {
    const client = new MongoClient(sandbox.uri, { tlsCAFile: certificates.caFile, serverSelectionTimeoutMS: 5000 });
    try {
      await client.db('tls_test').collection('items').insertOne({ over: 'tls' });
      expect(
        await client
          .db('tls_test')
          .collection('items')
          .findOne({}, { projection: { _id: 0 } }),
      ).toEqual({
        over: 'tls',
      });
    } finally {
      await client.close();
    }
  });

  it('refuses a plain TCP connection on the TLS port', async () => {
    const error = await connectionFails(sandbox.uri.replace('tls=true', 'tls=false'));
    expect(error.name).toMatch(/MongoServerSelectionError|MongoNetworkError/);
  });

  it('is refused by a driver that does not trust the CA', async () => {
    const error = await connectionFails(sandbox.uri);
    expect(error.name).toBe('MongoServerSelectionError');
    expect(String(error.message)).toMatch(/certificate/i);
  });

  it('authenticates over TLS when auth is on too', async () => {
    const secured = await startSandbox({
      port: 0,
      tls: { certFile: certificates.certFile, keyFile: certificates.keyFile },
      auth: { user: 'admin', password: 'tls-secret' },
    });
    const client = new MongoClient(secured.uri, { tlsCAFile: certificates.caFile, serverSelectionTimeoutMS: 5000 });
    try {
      const status = await client.db('admin').command({ connectionStatus: 1 });
      expect(status.authInfo.authenticatedUsers).toEqual([{ user: 'admin', db: 'admin' }]);
    } finally {
      await client.close();
      await secured.stop();
    }
  });
});
