// Erasure (GDPR Art. 17): eraseUser and the retention job both come through here. One
// transaction per user: lock the row, scrub it and every copy of its personal data, record one
// USER_ERASED event (which carries none). Irreversible: restoreUser refuses an erased user.
import { assertCan } from '../../auth/policy.js';
import { actorId, SYSTEM_PRINCIPAL, type Principal } from '../../auth/principal.js';
import type { Clock } from '../../clock.js';
import { BadUserInputError } from '../../errors.js';
import type { EventsService } from '../../events/event.service.js';
import type { Tx } from '../../events/user-event.repository.js';
import type { UserEvent } from '../../events/user-event.model.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { refuseOnYourself } from '../lifecycle/lifecycle.service.js';
import type { UserRecord } from '../user.model.js';
import { UserNotFoundError } from '../user.error.js';
import type { UsersRepository } from '../user.repository.js';
import { assertUuid, reasonRule, zodProblems } from '../user.validation.js';
import { ErasureRepository } from './erasure.repository.js';

export class ErasureService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly users: UsersRepository,
    private readonly events: EventsService,
    private readonly clock: Clock,
  ) {}

  /**
   * Erases a live or soft-deleted user. Erasing an erased user again changes nothing and records
   * nothing (a retried request must not fail). Your own account is refused, as deleting it is.
   */
  async erase(principal: Principal, id: string, reason: string): Promise<UserRecord> {
    assertCan(principal, 'users.erase');
    const userId = assertUuid(id);
    const parsed = reasonRule.safeParse(reason);
    if (!parsed.success) throw new BadUserInputError(zodProblems(parsed.error, 'reason'));
    const yourself = refuseOnYourself(principal, userId, 'DELETE');
    if (yourself) throw yourself;
    const erased = await this.eraseOne(principal, userId, parsed.data);
    if (!erased) throw new UserNotFoundError(userId);
    return erased;
  }

  /**
   * The retention job's erasures, inside its transaction (the system acts; the reason says why).
   * Returns the events to hand to EventsService.committed once the transaction has committed.
   */
  async eraseForRetention(tx: Tx, ids: readonly string[], days: number): Promise<UserEvent[]> {
    const stored: UserEvent[] = [];
    for (const id of ids)
      stored.push(...(await this.eraseWithin(tx, SYSTEM_PRINCIPAL, id, `retention: deleted more than ${days} days ago`)).stored);
    return stored;
  }

  private async eraseOne(principal: Principal, id: string, reason: string): Promise<UserRecord | null> {
    const { found, stored } = await this.prisma.$transaction((tx) => this.eraseWithin(tx, principal, id, reason), {
      timeout: 30_000,
    });
    this.events.committed(stored);
    return found ? this.users.findById(id, { includeDeleted: true }) : null;
  }

  private async eraseWithin(
    tx: Tx,
    principal: Principal,
    id: string,
    reason: string,
  ): Promise<{ found: boolean; stored: UserEvent[] }> {
    const repo = new ErasureRepository(tx);
    const row = await repo.lock(id);
    if (!row) return { found: false, stored: [] };
    if (row.erasedAt) return { found: true, stored: [] };
    await repo.erase(id, row.email, actorId(principal), this.clock.now());
    const stored = await this.events.record(tx, {
      type: 'USER_ERASED',
      actor: principal.userId,
      payload: { userId: id, reason },
    });
    return { found: true, stored };
  }
}
