// Subject access (GDPR Art. 15): everything this service stores about one person, as one JSON
// document behind the same signed, short-lived link as exports (GET /exports/:token).
import { assertCan } from '../../auth/policy.js';
import type { Principal } from '../../auth/principal.js';
import type { Clock } from '../../clock.js';
import type { ExportLink } from '../export/export.model.js';
import type { ExportService } from '../export/export.service.js';
import { userStatus } from '../user.columns.js';
import { UserNotFoundError } from '../user.error.js';
import type { UsersRepository } from '../user.repository.js';
import { assertUuid } from '../user.validation.js';
import type { SubjectAccessRepository } from './subject-access.repository.js';

export class SubjectAccessService {
  constructor(
    private readonly repository: SubjectAccessRepository,
    private readonly users: UsersRepository,
    private readonly exports: ExportService,
    private readonly clock: Clock,
  ) {}

  /** A link to the document of a live, deleted or erased user. */
  async link(principal: Principal, id: string, requestOrigin?: string): Promise<ExportLink> {
    assertCan(principal, 'users.subjectAccess');
    const userId = assertUuid(id);
    if (!(await this.users.findById(userId, { includeDeleted: true }))) throw new UserNotFoundError(userId);
    return this.exports.subjectAccessLink(principal, userId, requestOrigin);
  }

  /**
   * The document: the profile (every stored field but the password hash, with the derived
   * status; attributes included), the event log about the user, their sign-in sessions and their
   * login history (kept LOGIN_HISTORY_DAYS).
   */
  async document(userId: string): Promise<string> {
    const user = await this.users.findById(userId, { includeDeleted: true });
    if (!user) throw new UserNotFoundError(userId);
    const now = this.clock.now();
    const [events, sessions, loginHistory] = await Promise.all([
      this.repository.events(userId),
      this.repository.sessions(userId),
      this.repository.logins(userId, user.email),
    ]);
    return `${JSON.stringify(
      {
        exportedAt: now.toISOString(),
        user: { ...user, status: userStatus(user, now) },
        events,
        sessions,
        loginHistory,
      },
      null,
      2,
    )}\n`;
  }
}
