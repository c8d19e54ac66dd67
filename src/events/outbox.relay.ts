// The outbox relay: takes committed user_events rows to this process's subscribers, each event
// exactly once and in sequence order.
//
// Every instance runs one. It keeps `last`, the highest sequence it delivered, and accepts events
// from three sources, all funnelled through one serial queue:
//   1. its own commits (EventsService.committed), at once;
//   2. other instances' commits, through the transport (Redis);
//   3. a poll of the table every `pollMs`, and a catch-up read at start.
// An event at or below `last` is a duplicate and dropped. The event right after `last` is
// delivered. An event further ahead means something was missed (a lost Redis message, a writer
// that died between commit and publish): the relay first reads the table from `last` up to it.
// That read is complete because writers commit in sequence order (see user-event.repository.ts):
// once an event is committed, every event below it is committed or rolled back for good.
//
// The position is saved in user_event_relay (on each poll tick, and on stop). A restarted process
// starts from it, so an event committed just before a crash, and never published, is delivered
// after the restart (events delivered in the last poll interval before a crash are delivered
// again: at-least-once across a crash for in-process handlers). Several instances share the row
// and only move it forward: a restarted instance resumes after what the fleet has delivered.
//
// Notices (import progress; see event.transport.ts) share the transport but none of the above: they are
// not in the table and have no sequence, so they pass straight through to the bus.
import { failureLevel } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LocalEventBus } from './event.bus.js';
import type { EventTransport, Notice } from './event.transport.js';
import type { UserEvent } from './user-event.model.js';
import type { EventRecorder } from './user-event.repository.js';

export interface RelayOptions {
  /**
   * Poll of the table, and saving the position. Without Redis on PostgreSQL it is how other
   * instances' events arrive; otherwise only a safety net (config.tuning.relay).
   */
  pollMs: number;
  /** Events per read of the table. */
  batchSize: number;
  /** Relays with the same name share a saved position and a Redis channel (default: 'default'). */
  name?: string;
}

export class OutboxRelay {
  private last = 0n;
  private saved = 0n;
  private queue: Promise<void> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly name: string;

  constructor(
    private readonly repository: EventRecorder,
    private readonly bus: LocalEventBus,
    private readonly transport: EventTransport,
    private readonly log: Logger,
    options: RelayOptions,
  ) {
    this.pollMs = options.pollMs;
    this.batchSize = options.batchSize;
    this.name = options.name ?? 'default';
  }

  /** The highest sequence delivered in this process. */
  get position(): bigint {
    return this.last;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const state = await this.repository.relayState(this.name);
    this.last = this.saved = state.lastSequence;
    await this.transport.start(state.streamId, {
      events: (events) => this.receive(events),
      notice: (notice) => this.bus.notice(notice),
    });
    this.running = true;
    // Awaited, not run behind readiness: events committed while no relay ran go out before any
    // subscriber can connect, so a live subscription starts with what happens after it (tried
    // deferred for issue 13's start time; a subscriber connecting at once then got the old events).
    await this.enqueue(() => this.drain());
    this.schedulePoll();
    this.log.debug({ position: this.last.toString() }, 'outbox relay started');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.pollTimer);
    await this.transport.stop();
    await this.queue;
    await this.save();
  }

  /** Called after a local transaction that recorded `events` has committed. */
  committed(events: readonly UserEvent[]): void {
    if (events.length === 0) return;
    this.transport.publish(events).catch((error: unknown) => {
      // Other instances will still get them from their poll of the table.
      this.log.warn({ err: error }, 'could not publish user events; other instances will poll them');
    });
    // After the current I/O turn: the writer's response goes out before the fan-out to every
    // subscriber runs (which, for 1,000 subscribers, is tens of milliseconds of CPU).
    setImmediate(() => this.receive(events));
  }

  /**
   * Delivers a notice to this process's listeners at once, and to the other instances through the
   * transport (once started; before, or without Redis, it stays in process). Best effort.
   */
  notify(notice: Notice): void {
    this.bus.notice(notice);
    this.transport.notify(notice).catch((error: unknown) => {
      this.log.warn({ err: error, topic: notice.topic }, 'could not send a notice to other instances');
    });
  }

  private receive(events: readonly UserEvent[]): void {
    void this.enqueue(() => this.accept(events));
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (!this.running) return;
      try {
        await work();
      } catch (error) {
        // The next poll retries from `last`; nothing was delivered past a failure.
        this.log[failureLevel(error)]({ err: error }, 'outbox relay step failed');
      }
    });
    this.queue = run;
    return run;
  }

  private async accept(events: readonly UserEvent[]): Promise<void> {
    const sorted = [...events].sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));
    for (const event of sorted) {
      if (event.sequence <= this.last) continue;
      if (event.sequence !== this.last + 1n) await this.drain(event.sequence);
      // The event is committed (it is only published after commit), so if the read above did not
      // reach it, nothing below it is missing either.
      if (event.sequence > this.last) this.deliver(event);
    }
  }

  /** Delivers every stored event after `last` (up to `upTo`, inclusive, when given). */
  private async drain(upTo?: bigint): Promise<void> {
    for (;;) {
      const page = await this.repository.find({ after: this.last, upTo, limit: this.batchSize });
      for (const event of page) this.deliver(event);
      if (page.length < this.batchSize) return;
    }
  }

  private deliver(event: UserEvent): void {
    this.last = event.sequence;
    this.bus.dispatch(event);
  }

  /** One background tick: read what nobody reported, then save the position if it moved. */
  private schedulePoll(): void {
    if (!this.running) return;
    this.pollTimer = setTimeout(() => {
      void this.enqueue(async () => {
        await this.drain();
        await this.save();
      }).then(() => this.schedulePoll());
    }, this.pollMs);
    this.pollTimer.unref();
  }

  private async save(): Promise<void> {
    if (this.last <= this.saved) return;
    const position = this.last;
    await this.repository.saveRelayPosition(this.name, position);
    this.saved = position;
  }
}
