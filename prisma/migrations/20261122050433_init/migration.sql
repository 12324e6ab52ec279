-- CreateEnum
CREATE TYPE "GroupType" AS ENUM ('PUBLIC', 'PASSWORD', 'PRIVATE');

-- CreateEnum
CREATE TYPE "MemberScope" AS ENUM ('OWNER', 'ADMIN', 'MODERATOR', 'PARTICIPANT');

-- CreateEnum
CREATE TYPE "OwnerLeavePolicy" AS ENUM ('TRANSFER_REQUIRED', 'DISSOLVE');

-- CreateEnum
CREATE TYPE "ExitType" AS ENUM ('QUIT', 'KICKED', 'BANNED', 'DISSOLVED', 'DEACTIVATED', 'OFFLINE_KICKED');

-- CreateEnum
CREATE TYPE "LeaveReason" AS ENUM ('LEFT_BY_OWN_CHOICE', 'ADMIN_REMOVED', 'ADMIN_DELETED', 'ADMIN_DEACTIVATED', 'CHANNEL_OPERATOR_REMOVED');

-- CreateEnum
CREATE TYPE "GroupAction" AS ENUM ('JOINED', 'ADDED', 'LEFT', 'KICKED', 'BANNED', 'UNBANNED', 'SCOPE_CHANGED', 'OWNERSHIP_TRANSFERRED', 'DISSOLVED');

-- CreateEnum
CREATE TYPE "MessageKind" AS ENUM ('TEXT', 'ACTION');

-- CreateTable
CREATE TABLE "User" (
    "uid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "leaveAllWhenDeactivated" BOOLEAN NOT NULL DEFAULT true,
    "deactivatedAt" TIMESTAMP(3),
    "tokensValidAfter" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("uid")
);

-- CreateTable
CREATE TABLE "Group" (
    "guid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" "GroupType" NOT NULL,
    "passwordHash" TEXT,
    "ownerUid" TEXT,
    "ownerLeavePolicy" "OwnerLeavePolicy" NOT NULL DEFAULT 'TRANSFER_REQUIRED',
    "dissolvedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Group_pkey" PRIMARY KEY ("guid")
);

-- CreateTable
CREATE TABLE "GroupMember" (
    "groupGuid" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "scope" "MemberScope" NOT NULL DEFAULT 'PARTICIPANT',
    "joinedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GroupMember_pkey" PRIMARY KEY ("groupGuid","uid")
);

-- CreateTable
CREATE TABLE "GroupBan" (
    "groupGuid" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "reason" TEXT,
    "bannedByUid" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GroupBan_pkey" PRIMARY KEY ("groupGuid","uid")
);

-- CreateTable
CREATE TABLE "RetainedScope" (
    "groupGuid" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "scope" "MemberScope" NOT NULL,

    CONSTRAINT "RetainedScope_pkey" PRIMARY KEY ("groupGuid","uid")
);

-- CreateTable
CREATE TABLE "Message" (
    "id" BIGSERIAL NOT NULL,
    "groupGuid" TEXT NOT NULL,
    "kind" "MessageKind" NOT NULL,
    "sentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "senderUid" TEXT,
    "text" TEXT,
    "action" "GroupAction",
    "actionByUid" TEXT,
    "actionOnUid" TEXT,
    "reason" "LeaveReason",

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MemberLeftEvent" (
    "id" BIGSERIAL NOT NULL,
    "exitType" "ExitType" NOT NULL,
    "reason" "LeaveReason",
    "groupGuid" TEXT,
    "chatRoomId" TEXT,
    "memberUids" TEXT[],
    "operatorUid" TEXT,
    "occurredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MemberLeftEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Group_name_idx" ON "Group"("name");

-- CreateIndex
CREATE INDEX "GroupMember_uid_idx" ON "GroupMember"("uid");

-- CreateIndex
CREATE INDEX "GroupMember_groupGuid_joinedAt_uid_idx" ON "GroupMember"("groupGuid", "joinedAt", "uid");

-- CreateIndex
CREATE INDEX "Message_groupGuid_id_idx" ON "Message"("groupGuid", "id");

-- CreateIndex
CREATE INDEX "MemberLeftEvent_groupGuid_id_idx" ON "MemberLeftEvent"("groupGuid", "id");

-- CreateIndex
CREATE INDEX "MemberLeftEvent_chatRoomId_id_idx" ON "MemberLeftEvent"("chatRoomId", "id");

-- CreateIndex
CREATE INDEX "MemberLeftEvent_memberUids_idx" ON "MemberLeftEvent" USING GIN ("memberUids");

-- AddForeignKey
ALTER TABLE "Group" ADD CONSTRAINT "Group_ownerUid_fkey" FOREIGN KEY ("ownerUid") REFERENCES "User"("uid") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMember" ADD CONSTRAINT "GroupMember_groupGuid_fkey" FOREIGN KEY ("groupGuid") REFERENCES "Group"("guid") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMember" ADD CONSTRAINT "GroupMember_uid_fkey" FOREIGN KEY ("uid") REFERENCES "User"("uid") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupBan" ADD CONSTRAINT "GroupBan_groupGuid_fkey" FOREIGN KEY ("groupGuid") REFERENCES "Group"("guid") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_groupGuid_fkey" FOREIGN KEY ("groupGuid") REFERENCES "Group"("guid") ON DELETE RESTRICT ON UPDATE CASCADE;
