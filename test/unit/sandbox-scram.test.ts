import { describe, expect, it } from 'vitest';
import { saslprep } from '../../engine/sandbox/auth/saslprep.js';
import {
  createScramCredential,
  passwordDigest,
  ScramConversation,
  ScramError,
  type ScramCredential,
  type ScramMechanism,
} from '../../engine/sandbox/auth/scram.js';
import { ScramClient } from '../support/scram-client.js';

const user = 'migrator';
const password = 'pencil';

function conversationFor(mechanism: ScramMechanism, skipEmptyExchange = true, name = user): ScramConversation {
  const credential = createScramCredential(mechanism, name, password);
  return new ScramConversation(mechanism, (wanted) => (wanted === name ? credential : undefined), skipEmptyExchange);
}

describe('stored SCRAM credentials', () => {
  it('derives SCRAM-SHA-1 from the MongoDB password digest', () => {
    expect(passwordDigest('user', 'pencil')).toBe('1c33006ec1ffd90f9cadcbcc0e118200');
  });

  it("uses mongod's iteration counts and salt lengths", () => {
    const sha1: ScramCredential = createScramCredential('SCRAM-SHA-1', user, password);
    const sha256: ScramCredential = createScramCredential('SCRAM-SHA-256', user, password);
    expect(sha1.iterationCount).toBe(10000);
    expect(sha256.iterationCount).toBe(15000);
    expect(Buffer.from(sha1.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(sha256.salt, 'base64')).toHaveLength(28);
    expect(Buffer.from(sha1.storedKey, 'base64')).toHaveLength(20);
    expect(Buffer.from(sha256.serverKey, 'base64')).toHaveLength(32);
  });

  it('salts every credential differently', () => {
    const first = createScramCredential('SCRAM-SHA-256', user, password);
    const second = createScramCredential('SCRAM-SHA-256', user, password);
    expect(first.salt).not.toBe(second.salt);
    expect(first.storedKey).not.toBe(second.storedKey);
  });
});

describe.each(['SCRAM-SHA-1', 'SCRAM-SHA-256'] as const)('%s conversation', (mechanism) => {
  it('accepts the right password and proves the server knows it', () => {
    const server = conversationFor(mechanism);
    const client = new ScramClient(mechanism, user, password);
    const serverFirst = server.next(client.first());
    expect(serverFirst.done).toBe(false);
    expect(serverFirst.payload.toString()).toMatch(/^r=.+,s=.+,i=\d+$/);
    const serverFinal = server.next(client.final(serverFirst.payload));
    expect(serverFinal.done).toBe(true);
    expect(client.verifies(serverFinal.payload)).toBe(true);
    expect(server.principal).toBe(user);
  });

  it('ends with an extra empty step when the client did not ask to skip it', () => {
    const server = conversationFor(mechanism, false);
    const client = new ScramClient(mechanism, user, password);
    const serverFirst = server.next(client.first());
    const serverFinal = server.next(client.final(serverFirst.payload));
    expect(serverFinal.done).toBe(false);
    expect(client.verifies(serverFinal.payload)).toBe(true);
    const last = server.next(Buffer.alloc(0));
    expect(last).toEqual({ done: true, payload: Buffer.alloc(0) });
    expect(() => server.next(Buffer.alloc(0))).toThrow(ScramError);
  });

  it('rejects a wrong password', () => {
    const server = conversationFor(mechanism);
    const client = new ScramClient(mechanism, user, password);
    const serverFirst = server.next(client.first());
    expect(() => server.next(client.final(serverFirst.payload, 'wrong'))).toThrow(ScramError);
  });

  it('rejects an unknown user at the first step', () => {
    const server = conversationFor(mechanism);
    const client = new ScramClient(mechanism, 'nobody', password);
    expect(() => server.next(client.first())).toThrow(ScramError);
  });

  it('rejects a final message whose nonce is not the combined nonce', () => {
    const server = conversationFor(mechanism);
    const client = new ScramClient(mechanism, user, password);
    const serverFirst = server.next(client.first());
    const tampered = client
      .final(serverFirst.payload)
      .toString()
      .replace(/r=[^,]+/, 'r=forgednonce');
    expect(() => server.next(Buffer.from(tampered))).toThrow(ScramError);
  });
});

describe('SCRAM first message parsing', () => {
  it('refuses channel binding', () => {
    const server = conversationFor('SCRAM-SHA-256');
    expect(() => server.next(Buffer.from('p=tls-unique,,n=migrator,r=abcdefgh'))).toThrow(/channel binding/);
  });

  it('decodes =2C and =3D in user names', () => {
    const server = conversationFor('SCRAM-SHA-256', true, 'a,b=c');
    const client = new ScramClient('SCRAM-SHA-256', 'a,b=c', password);
    const serverFirst = server.next(client.first());
    expect(server.principal).toBe('a,b=c');
    expect(server.next(client.final(serverFirst.payload)).done).toBe(true);
  });
});

describe('SASLprep', () => {
  it('follows the examples of RFC 4013', () => {
    expect(saslprep('I\u00ADX')).toBe('IX');
    expect(saslprep('user')).toBe('user');
    expect(saslprep('USER')).toBe('USER');
    expect(saslprep('\u00AA')).toBe('a');
    expect(saslprep('\u2168')).toBe('IX');
    expect(() => saslprep('\u0007')).toThrow(/prohibited/);
  });

  it('maps non-ASCII spaces to a space', () => {
    expect(saslprep('a\u00A0b\u3000c')).toBe('a b c');
  });
});
