// bcryptjs hashing. Verification of an unknown account still runs one bcrypt compare against a
// dummy hash, so a wrong email and a wrong password take the same time (no enumeration).
import bcrypt from 'bcryptjs';

/** Where compares run: bcryptjs on the event loop, or a worker pool (users/import/password.pool.ts). */
export interface CompareRunner {
  compare(password: string, hash: string): Promise<boolean>;
}

export class PasswordHasher {
  private readonly dummyHash: string;

  /**
   * `runner`: the worker pool the server passes, so a flood of logins does not stall other
   * requests (bcryptjs is pure JavaScript: ~250 ms of one core per compare at cost 12).
   */
  constructor(
    private readonly cost: number,
    private readonly runner: CompareRunner = bcrypt,
  ) {
    // Well formed, at the configured cost, and matched by no password: a compare against it costs
    // what a real one does. Assembled rather than hashed: hashing one took a whole bcrypt run on
    // every start (~250 ms of CPU at the default cost 12) before the server could be ready.
    this.dummyHash = bcrypt.genSaltSync(cost) + '.'.repeat(31);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  /** Compares against `hash`, or against a dummy when there is none (same cost either way). */
  async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    if (!hash) {
      await this.runner.compare(password, this.dummyHash);
      return false;
    }
    try {
      return await this.runner.compare(password, hash);
    } catch {
      return false;
    }
  }
}

export const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
