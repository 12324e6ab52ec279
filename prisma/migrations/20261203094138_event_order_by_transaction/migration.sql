-- DropIndex
DROP INDEX "MemberLeftEvent_chatRoomId_id_idx";

-- DropIndex
DROP INDEX "MemberLeftEvent_groupGuid_id_idx";

-- AlterTable
-- Events written before this migration committed in id order (under the exit-log lock): they
-- keep that order as (0, id), before every later transaction's events. New rows get their
-- writing transaction's id.
ALTER TABLE "MemberLeftEvent" ADD COLUMN     "txid" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "MemberLeftEvent" ALTER COLUMN "txid" SET DEFAULT (pg_current_xact_id())::text::bigint;

-- CreateIndex
CREATE INDEX "MemberLeftEvent_txid_id_idx" ON "MemberLeftEvent"("txid", "id");

-- CreateIndex
CREATE INDEX "MemberLeftEvent_groupGuid_txid_id_idx" ON "MemberLeftEvent"("groupGuid", "txid", "id");

-- CreateIndex
CREATE INDEX "MemberLeftEvent_chatRoomId_txid_id_idx" ON "MemberLeftEvent"("chatRoomId", "txid", "id");
