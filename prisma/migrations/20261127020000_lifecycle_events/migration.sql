-- Lifecycle, bulk actions and domain events (issue 4): suspension columns on users, the
-- user_events outbox / audit log, and the relay's position in it.

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "suspended_at" TIMESTAMPTZ(3),
ADD COLUMN     "suspended_until" TIMESTAMPTZ(3),
ADD COLUMN     "suspension_reason" VARCHAR(500);

-- CreateTable
CREATE TABLE "user_events" (
    "sequence" BIGSERIAL NOT NULL,
    "id" UUID NOT NULL,
    "type" VARCHAR(40) NOT NULL,
    "user_id" UUID,
    "actor_id" VARCHAR(255),
    "payload" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_events_pkey" PRIMARY KEY ("sequence")
);

-- CreateTable
CREATE TABLE "user_event_relay" (
    "name" VARCHAR(64) NOT NULL,
    "stream_id" UUID NOT NULL,
    "last_sequence" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_event_relay_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE UNIQUE INDEX "user_events_id_key" ON "user_events"("id");

-- CreateIndex
CREATE INDEX "user_events_user_id_sequence_idx" ON "user_events"("user_id", "sequence");

-- CreateIndex
CREATE INDEX "user_events_type_sequence_idx" ON "user_events"("type", "sequence");

-- CreateIndex
CREATE INDEX "users_suspended_until_idx" ON "users"("suspended_until");
