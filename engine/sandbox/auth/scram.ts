// The server side of SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802 / RFC 7677) as mongod speaks it: stored
// credentials in mongod's shape, and one conversation per authentication attempt. SCRAM-SHA-1 uses
// MongoDB's password digest as the password; SCRAM-SHA-256 the SASLprep'd password.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { saslprep } from './saslprep.js';

export const scramMechanisms = ['SCRAM-SHA-1', 'SCRAM-SHA-256'] as const;
export type ScramMechanism = (typeof scramMechanisms)[number];

export function isScramMechanism(name: string): name is ScramMechanism {
  return (scramMechanisms as readonly string[]).includes(name);
}

/** A credential as mongod stores it under `credentials.<mechanism>` (binary fields base64-encoded). */
export interface ScramCredential {
  readonly iterationCount: number;
  readonly salt: string;
  readonly storedKey: string;
  readonly serverKey: string;
}

interface Algorithm {
  readonly hash: 'sha1' | 'sha256';
  readonly length: number;
  readonly iterations: number;
}

// mongod's default iteration counts (scramIterationCount, scramSHA256IterationCount).
const algorithms: Record<ScramMechanism, Algorithm> = {
  'SCRAM-SHA-1': { hash: 'sha1', length: 20, iterations: 10000 },
  'SCRAM-SHA-256': { hash: 'sha256', length: 32, iterations: 15000 },
};

/** MongoDB's legacy password digest, which SCRAM-SHA-1 uses in place of the password. */
export function passwordDigest(user: string, password: string): string {
  return createHash('md5').update(`${user}:mongo:${password}`, 'utf8').digest('hex');
}

function hmac(algorithm: Algorithm, key: Buffer, text: string): Buffer {
  return createHmac(algorithm.hash, key).update(text, 'utf8').digest();
}

function hash(algorithm: Algorithm, data: Buffer): Buffer {
  return createHash(algorithm.hash).update(data).digest();
}

/** Builds the stored credential; `digested` means the SCRAM-SHA-1 password is already the MongoDB digest. */
export function createScramCredential(
  mechanism: ScramMechanism,
  user: string,
  password: string,
  digested = false,
): ScramCredential {
  const algorithm = algorithms[mechanism];
  const prepared =
    mechanism === 'SCRAM-SHA-1' ? (digested ? password : passwordDigest(user, password)) : saslprep(password);
  // mongod's salts are four bytes shorter than the hash.
  const salt = randomBytes(algorithm.length - 4);
  const salted = pbkdf2Sync(prepared, salt, algorithm.iterations, algorithm.length, algorithm.hash);
  return {
    iterationCount: algorithm.iterations,
    salt: salt.toString('base64'),
    storedKey: hash(algorithm, hmac(algorithm, salted, 'Client Key')).toString('base64'),
    serverKey: hmac(algorithm, salted, 'Server Key').toString('base64'),
  };
}

/** Why a conversation failed; mongod tells the client only "Authentication failed.". */
export class ScramError extends Error {}

export interface ScramStep {
  readonly done: boolean;
  readonly payload: Buffer;
}

/** One SCRAM conversation: client-first → server-first, client-final → server-final, [empty → done]. */
export class ScramConversation {
  private step = 0;
  private nonce = '';
  private authMessage = '';
  private credential: ScramCredential | undefined;
  /** The user name the client gave in its first message. */
  principal = '';

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookup: (user: string) => ScramCredential | undefined,
    private readonly skipEmptyExchange: boolean,
  ) {}

  /** Runs the next step; throws ScramError when the client's message or proof is wrong. */
  next(input: Buffer): ScramStep {
    this.step++;
    const totalSteps = this.skipEmptyExchange ? 2 : 3;
    if (this.step > totalSteps) throw new ScramError(`Invalid SCRAM authentication step: ${this.step}`);
    if (this.step === 1) return { done: false, payload: Buffer.from(this.first(input.toString('utf8'))) };
    if (this.step === 2)
      return { done: this.skipEmptyExchange, payload: Buffer.from(this.second(input.toString('utf8'))) };
    return { done: true, payload: Buffer.alloc(0) };
  }

  private first(message: string): string {
    const [flag, authzId, ...rest] = message.split(',');
    if (rest.length === 0) throw new ScramError('Incorrect number of arguments for first SCRAM client message');
    if (flag.startsWith('p=')) throw new ScramError('Server does not support channel binding');
    if (flag !== 'n' && flag !== 'y') throw new ScramError(`Incorrect SCRAM client message prefix: ${flag}`);
    if (authzId !== '' && !authzId.startsWith('a=')) throw new ScramError(`Incorrect SCRAM authzid: ${authzId}`);
    const bare = rest.join(',');
    if (bare.startsWith('m=')) throw new ScramError('SCRAM mandatory extensions are not supported');
    const [userField, nonceField] = bare.split(',').filter((part) => part !== '');
    if (!userField?.startsWith('n=') || userField.length < 3) throw new ScramError('Invalid SCRAM user name');
    if (!nonceField?.startsWith('r=') || nonceField.length < 6) throw new ScramError('Invalid SCRAM client nonce');
    this.principal = userField.slice(2).replaceAll('=2C', ',').replaceAll('=3D', '=');
    if (authzId !== '' && authzId.slice(2) !== this.principal)
      throw new ScramError('SCRAM user name does not match authzid');
    this.credential = this.lookup(this.principal);
    if (!this.credential) throw new ScramError(`Could not find user "${this.principal}"`);
    this.nonce = nonceField.slice(2) + randomBytes(24).toString('base64');
    const reply = `r=${this.nonce},s=${this.credential.salt},i=${this.credential.iterationCount}`;
    this.authMessage = `${bare},${reply}`;
    return reply;
  }

  private second(message: string): string {
    const credential = this.credential;
    if (!credential) throw new ScramError('SCRAM conversation was not started');
    const lastComma = message.lastIndexOf(',');
    const proofField = message.slice(lastComma + 1);
    if (lastComma < 0 || !proofField.startsWith('p=') || proofField.length < 3)
      throw new ScramError('Incorrect SCRAM ClientProof');
    const withoutProof = message.slice(0, lastComma);
    const [binding, nonceField] = withoutProof.split(',').filter((part) => part !== '');
    if (!binding?.startsWith('c=')) throw new ScramError('Incorrect SCRAM channel binding');
    if (nonceField !== `r=${this.nonce}`) throw new ScramError('Unmatched SCRAM nonce received from client');
    this.authMessage += `,${withoutProof}`;
    const algorithm = algorithms[this.mechanism];
    const storedKey = Buffer.from(credential.storedKey, 'base64');
    const proof = Buffer.from(proofField.slice(2), 'base64');
    const signature = hmac(algorithm, storedKey, this.authMessage);
    if (proof.length !== signature.length) throw new ScramError('SCRAM authentication failed, storedKey mismatch');
    const clientKey = Buffer.from(proof.map((byte, index) => byte ^ signature[index]));
    if (!timingSafeEqual(hash(algorithm, clientKey), storedKey))
      throw new ScramError('SCRAM authentication failed, storedKey mismatch');
    const serverSignature = hmac(algorithm, Buffer.from(credential.serverKey, 'base64'), this.authMessage);
    return `v=${serverSignature.toString('base64')}`;
  }
}
