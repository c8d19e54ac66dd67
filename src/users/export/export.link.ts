// Signed download links. The token is a JWT (HS256, the service's secret) whose subject is one
// user_exports row and whose audience is only for export downloads: it cannot be used as a
// bearer token, and an access token cannot be used as a link.
import { errors, jwtVerify, SignJWT } from 'jose';
import { ExportLinkExpiredError, ExportLinkInvalidError } from './export.error.js';

const AUDIENCE = 'users-service:export-download';

export class ExportLinkSigner {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly issuer: string,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(exportId: string, expiresAt: Date): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(exportId)
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
  }

  /** The export id the token is bound to; EXPORT_LINK_EXPIRED or EXPORT_LINK_INVALID otherwise. */
  async verify(token: string): Promise<string> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        audience: AUDIENCE,
        issuer: this.issuer,
        requiredClaims: ['exp', 'sub'],
      });
      return payload.sub!;
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new ExportLinkExpiredError();
      throw new ExportLinkInvalidError();
    }
  }
}
