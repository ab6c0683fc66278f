import {
  MongoBulkWriteError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoOperationTimeoutError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
  MongoWriteConcernError,
} from 'mongodb';
import { describe, expect, it } from 'vitest';
import { classify, FerryError, redactUri, redactUris, retry, type RetryPolicy } from '../../engine/core/errors.js';

function serverError(code: number, extra: Record<string, unknown> = {}): MongoServerError {
  return new MongoServerError({ ok: 0, code, errmsg: `server said ${code}`, ...extra });
}

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifying driver errors', () => {
  it.each([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 63, 150, 234, 133, 50, 13388])(
    'treats server code %i as transient',
    (code) => {
      expect(classify(serverError(code)).transient).toBe(true);
    },
  );

  it.each(['RetryableWriteError', 'TransientTransactionError', 'ResumableChangeStreamError', 'SystemOverloadedError'])(
    'treats an error labelled %s as transient',
    (label) => {
      expect(classify(serverError(12345, { errorLabels: [label] }))).toMatchObject({
        code: 'TRANSIENT_SERVER_ERROR',
        transient: true,
      });
    },
  );

  it('treats network errors and timeouts as transient', () => {
    expect(classify(new MongoNetworkError('connection reset'))).toMatchObject({
      code: 'CONNECTION_FAILED',
      transient: true,
    });
    expect(classify(new MongoNetworkTimeoutError('timed out'))).toMatchObject({ code: 'TIMEOUT', transient: true });
    expect(classify(new MongoOperationTimeoutError('timed out'))).toMatchObject({ code: 'TIMEOUT', transient: true });
    expect(classify(systemError('ECONNRESET', 'read ECONNRESET'))).toMatchObject({ transient: true });
    const timedOut = new MongoServerSelectionError('Server selection timed out after 30000 ms', {} as never);
    expect(classify(timedOut)).toMatchObject({ code: 'CONNECTION_FAILED', transient: true });
    const refused = new MongoServerSelectionError('', {
      error: systemError('ECONNREFUSED', 'connect ECONNREFUSED'),
    } as never);
    expect(classify(refused)).toMatchObject({ code: 'CONNECTION_FAILED', transient: true });
  });

  it('treats authentication key rotation (KeyNotFound) as transient', () => {
    expect(classify(new Error('KeyNotFound: No keys found for HMAC that is valid for time')).transient).toBe(true);
  });

  it('says plainly that oplog history is lost, and how to recover', () => {
    for (const code of [286, 136]) {
      const info = classify(serverError(code));
      expect(info).toMatchObject({ code: 'HISTORY_LOST', transient: false });
      expect(info.message).toMatch(/no longer reaches the resume point/);
      expect(info.remedy).toMatch(/replSetResizeOplog/);
      expect(info.remedy).toMatch(/reset/);
    }
  });

  it('tells a wrong password from a missing role', () => {
    expect(classify(serverError(18))).toMatchObject({
      code: 'AUTH_FAILED',
      transient: false,
      remedy: expect.stringMatching(/password/),
    });
    expect(classify(serverError(13))).toMatchObject({
      code: 'UNAUTHORIZED',
      transient: false,
      remedy: expect.stringMatching(/[Gg]rant/),
    });
  });

  it('recognises a bulk write that failed only on duplicate keys', () => {
    const error = new MongoBulkWriteError(
      { message: 'E11000', code: 11000, writeErrors: [{ code: 11000 }, { code: 11000 }] } as never,
      {} as never,
    );
    expect(classify(error)).toMatchObject({ code: 'DUPLICATE_KEY', transient: false });
  });

  it('lets another write error of a bulk write decide over duplicate keys', () => {
    const error = new MongoBulkWriteError(
      { message: 'mixed', code: 11000, writeErrors: [{ code: 11000 }, { code: 121 }] } as never,
      {} as never,
    );
    expect(classify(error).code).toBe('DOCUMENT_VALIDATION_FAILED');
  });

  it('classifies path errors on updates so the applier can refetch the document', () => {
    expect(classify(serverError(28)).code).toBe('UPDATE_PATH_CONFLICT');
    expect(classify(serverError(29)).code).toBe('UPDATE_PATH_CONFLICT');
  });

  it('reads the code of a write concern error', () => {
    const error = new MongoWriteConcernError({
      writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' },
    } as never);
    expect(classify(error)).toMatchObject({ code: 'WRITE_CONCERN_TIMEOUT', transient: true });
  });

  it('does not retry what waiting cannot fix', () => {
    expect(classify(new MongoParseError('Invalid scheme'))).toMatchObject({
      code: 'INVALID_CONNECTION_STRING',
      transient: false,
    });
    expect(classify(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.example'))).toMatchObject({
      code: 'HOST_NOT_FOUND',
      transient: false,
    });
    const cause = systemError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain');
    const tls = new MongoServerSelectionError('', { error: cause } as never);
    expect(classify(tls)).toMatchObject({
      code: 'TLS_FAILED',
      transient: false,
      remedy: expect.stringMatching(/tlsCAFile/),
    });
    expect(classify(serverError(99999))).toMatchObject({
      code: 'SERVER_ERROR',
      transient: false,
      message: 'server said 99999',
    });
    expect(classify(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toMatchObject({
      code: 'CANCELLED',
      transient: false,
    });
  });

  it('classifies anything thrown, never throwing itself', () => {
    expect(classify('plain string')).toMatchObject({ code: 'UNEXPECTED', message: 'unexpected error: plain string' });
    expect(classify(undefined)).toMatchObject({ code: 'UNEXPECTED', transient: false });
    expect(classify(null).code).toBe('UNEXPECTED');
  });

  it('passes a FerryError through unchanged', () => {
    const error = new FerryError({ code: 'TARGET_NOT_EMPTY', message: 'target has data', remedy: 'empty it' });
    expect(classify(error)).toEqual({
      code: 'TARGET_NOT_EMPTY',
      message: 'target has data',
      remedy: 'empty it',
      transient: false,
    });
    expect(FerryError.from(error)).toBe(error);
    const wrapped = FerryError.from(serverError(18));
    expect(wrapped).toMatchObject({ code: 'AUTH_FAILED', cause: expect.any(MongoServerError) });
  });

  it('never lets a password through in a message', () => {
    const error = new MongoNetworkError('failed to connect to mongodb://admin:hunter2@db1:27017,db2/?replicaSet=rs0');
    const { message } = classify(error);
    expect(message).not.toContain('hunter2');
    expect(message).toContain('mongodb://admin:****@db1:27017,db2/?replicaSet=rs0');
    expect(new FerryError({ code: 'X', message: 'see mongodb+srv://u:secret@c.example.net' }).message).not.toContain(
      'secret',
    );
  });
});

describe('redacting connection strings', () => {
  it('replaces the password and keeps the user name', () => {
    expect(redactUri('mongodb://bob:s3cr%40t@h1:27017,h2/app?authSource=admin')).toBe(
      'mongodb://bob:****@h1:27017,h2/app?authSource=admin',
    );
    expect(redactUri('mongodb+srv://bob:pw@cluster0.example.net/')).toBe(
      'mongodb+srv://bob:****@cluster0.example.net/',
    );
  });

  it('redacts secrets passed as options', () => {
    const redacted = redactUri(
      'mongodb://h/?tlsCertificateKeyFilePassword=pem&authMechanismProperties=AWS_SESSION_TOKEN:tok',
    );
    expect(redacted).not.toMatch(/pem|tok/);
  });

  it('leaves a connection string without a password as it was', () => {
    expect(redactUri('mongodb://localhost:27017/?replicaSet=rs0')).toBe('mongodb://localhost:27017/?replicaSet=rs0');
  });

  it('redacts even a connection string that does not parse', () => {
    expect(redactUri('mongodb://bob:pw@h:notaport/')).not.toContain('pw');
  });

  it('finds every connection string in free text', () => {
    const text = 'source mongodb://a:one@h1/ and target mongodb+srv://b:two@h2/ differ';
    expect(redactUris(text)).toBe('source mongodb://a:****@h1/ and target mongodb+srv://b:****@h2/ differ');
  });
});

describe('retrying', () => {
  const transient = (): MongoServerError => serverError(11602);

  function policy(overrides: Partial<RetryPolicy> = {}): RetryPolicy & { waits: number[] } {
    const waits: number[] = [];
    return {
      attempts: 5,
      initialDelayMs: 100,
      maxDelayMs: 300,
      sleep: async (ms) => {
        waits.push(ms);
      },
      ...overrides,
      waits,
    };
  }

  it('retries transient errors with exponential backoff up to a ceiling', async () => {
    const p = policy();
    let calls = 0;
    const result = await retry(async (attempt) => {
      calls++;
      if (attempt < 5) throw transient();
      return 'done';
    }, p);
    expect(result).toBe('done');
    expect(calls).toBe(5);
    expect(p.waits).toEqual([100, 200, 300, 300]);
  });

  it('rethrows a non-transient error at once, unchanged', async () => {
    const p = policy();
    const fatal = serverError(18);
    await expect(retry(() => Promise.reject(fatal), p)).rejects.toBe(fatal);
    expect(p.waits).toEqual([]);
  });

  it('gives up after the last attempt without waiting after it', async () => {
    const p = policy({ attempts: 3 });
    const errors = [transient(), transient(), transient()];
    await expect(retry((attempt) => Promise.reject(errors[attempt - 1]), p)).rejects.toBe(errors[2]);
    expect(p.waits).toEqual([100, 200]);
  });

  it('keeps going with unlimited attempts', async () => {
    const p = policy({ attempts: Infinity, maxDelayMs: 30_000, initialDelayMs: 5_000 });
    await retry(async (attempt) => {
      if (attempt <= 10) throw transient();
    }, p);
    expect(p.waits).toEqual([5_000, 10_000, 20_000, ...Array(7).fill(30_000)]);
  });

  it('reports each retry with the classified error', async () => {
    const seen: string[] = [];
    const p = policy({ onRetry: ({ attempt, delayMs, error }) => seen.push(`${attempt}:${delayMs}:${error.code}`) });
    await retry(async (attempt) => {
      if (attempt === 1) throw transient();
    }, p);
    expect(seen).toEqual(['1:100:PRIMARY_CHANGED']);
  });

  it('asks a custom predicate which errors to retry', async () => {
    const p = policy({ retryable: (error) => error.code === 'DUPLICATE_KEY' });
    let calls = 0;
    await retry(async () => {
      if (++calls === 1) throw serverError(11000);
    }, p);
    expect(calls).toBe(2);
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    const p = policy({
      signal: controller.signal,
      sleep: async () => {
        controller.abort(new Error('pausing'));
      },
    });
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw transient();
      }, p),
    ).rejects.toThrow('pausing');
    expect(calls).toBe(1);
  });
});
