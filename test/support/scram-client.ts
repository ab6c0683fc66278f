// The client side of SCRAM-SHA-1/SCRAM-SHA-256 as MongoDB drivers run it, for tests that drive a
// conversation by hand (the server's SCRAM unit tests and raw-wire speculative authentication).
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export type ScramClientMechanism = 'SCRAM-SHA-1' | 'SCRAM-SHA-256';

export class ScramClient {
  private readonly hash: 'sha1' | 'sha256';
  private readonly nonce = randomBytes(24).toString('base64');
  private serverSignature = Buffer.alloc(0);

  constructor(
    readonly mechanism: ScramClientMechanism,
    private readonly user: string,
    private readonly password: string,
  ) {
    this.hash = mechanism === 'SCRAM-SHA-1' ? 'sha1' : 'sha256';
  }

  private get firstBare(): string {
    return `n=${this.user.replaceAll('=', '=3D').replaceAll(',', '=2C')},r=${this.nonce}`;
  }

  /** client-first-message */
  first(): Buffer {
    return Buffer.from(`n,,${this.firstBare}`);
  }

  /** client-final-message for the server-first-message; `password` overrides to send a wrong proof. */
  final(serverFirst: Buffer, password = this.password): Buffer {
    const text = serverFirst.toString();
    const fields = new Map(text.split(',').map((part) => [part.slice(0, 1), part.slice(2)]));
    const prepared =
      this.mechanism === 'SCRAM-SHA-1'
        ? createHash('md5').update(`${this.user}:mongo:${password}`).digest('hex')
        : password.normalize('NFKC');
    const length = this.hash === 'sha1' ? 20 : 32;
    const salted = pbkdf2Sync(
      prepared,
      Buffer.from(fields.get('s') ?? '', 'base64'),
      Number(fields.get('i')),
      length,
      this.hash,
    );
    const clientKey = createHmac(this.hash, salted).update('Client Key').digest();
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${fields.get('r')}`;
    const authMessage = `${this.firstBare},${text},${withoutProof}`;
    const signature = createHmac(this.hash, storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((byte, index) => byte ^ signature[index]));
    const serverKey = createHmac(this.hash, salted).update('Server Key').digest();
    this.serverSignature = createHmac(this.hash, serverKey).update(authMessage).digest();
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Whether the server-final-message proves the server knows the password. */
  verifies(serverFinal: Buffer): boolean {
    return serverFinal.toString() === `v=${this.serverSignature.toString('base64')}`;
  }
}
