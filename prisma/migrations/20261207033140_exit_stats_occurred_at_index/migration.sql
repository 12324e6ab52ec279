-- CreateIndex
CREATE INDEX "MemberLeftEvent_occurredAt_idx" ON "MemberLeftEvent"("occurredAt");
