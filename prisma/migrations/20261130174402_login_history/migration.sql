-- CreateTable
CREATE TABLE "login_attempts" (
    "id" BIGSERIAL NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" VARCHAR(16) NOT NULL,
    "outcome" VARCHAR(16) NOT NULL,
    "reason" VARCHAR(40),
    "email" VARCHAR(255),
    "user_id" UUID,
    "session_id" UUID,
    "ip" VARCHAR(64),
    "user_agent" VARCHAR(512),

    CONSTRAINT "login_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "login_attempts_user_id_id_idx" ON "login_attempts"("user_id", "id" DESC);

-- CreateIndex
CREATE INDEX "login_attempts_outcome_id_idx" ON "login_attempts"("outcome", "id" DESC);

-- CreateIndex
CREATE INDEX "login_attempts_occurred_at_idx" ON "login_attempts"("occurred_at");
