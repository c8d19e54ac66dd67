// Ends suspensions at their `until` and records UserUnsuspended (expired: true) for each.
//
// A timer is armed for the earliest `until` in the table, re-armed when a UserSuspended event
// with an earlier one is delivered (from any instance), and never sleeps longer than
// `maxSleepMs`, so a suspension made by an instance that died is still ended. Every instance runs
// this; the sweep's FOR UPDATE SKIP LOCKED makes each suspension end, and its event get
// recorded, exactly once. The status is derived from `until` anyway (userStatus), so login and
// listings are right even in the moment before the sweep runs.
import type { Clock } from '../../clock.js';
import type { EventsService } from '../../events/event.service.js';
import { failureLevel } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { LifecycleService } from './lifecycle.service.js';

export class SuspensionExpiry {
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private running = false;
  private sweeping: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly lifecycle: LifecycleService,
    private readonly events: EventsService,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly maxSleepMs = 60_000,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.events.onUserEvent('USER_SUSPENDED', (event) => {
      if (event.payload.until) this.arm(event.payload.until.getTime());
    });
    // The first sweep runs behind the start, not before readiness: a suspension that ended while
    // no server ran ends moments later instead (stop() waits for it).
    void this.sweep();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    await this.sweeping;
  }

  /** Runs one sweep now and re-arms the timer for the next `until`. */
  sweep(): Promise<void> {
    const run = this.sweeping.then(async () => {
      if (!this.running) return;
      try {
        const ended = await this.lifecycle.expireDueSuspensions();
        if (ended > 0) this.log.info({ ended }, 'suspensions ended at their until');
        const next = await this.lifecycle.nextSuspensionEnd();
        this.wakeAt = Infinity;
        this.arm(next ? next.getTime() : Infinity);
      } catch (error) {
        this.log[failureLevel(error)]({ err: error }, 'suspension expiry sweep failed');
        this.wakeAt = Infinity;
        this.arm(this.clock.now().getTime() + 5_000);
      }
    });
    this.sweeping = run;
    return run;
  }

  private arm(at: number): void {
    if (!this.running) return;
    const now = this.clock.now().getTime();
    const target = Math.min(at, now + this.maxSleepMs);
    if (target >= this.wakeAt) return;
    this.wakeAt = target;
    clearTimeout(this.timer);
    // A few ms late rather than early: `until` must have passed when the sweep reads the clock.
    this.timer = setTimeout(() => void this.sweep(), Math.max(0, target - now) + 5);
    this.timer.unref();
  }
}
