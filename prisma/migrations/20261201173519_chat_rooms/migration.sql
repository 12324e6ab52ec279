-- CreateTable
CREATE TABLE "ChatRoom" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "graceSeconds" INTEGER NOT NULL DEFAULT 30,
    "messageLimit" INTEGER NOT NULL DEFAULT 30,
    "realtime" BOOLEAN NOT NULL DEFAULT false,
    "realtimeWithinSeconds" INTEGER NOT NULL DEFAULT 300,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChatRoom_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChatRoomMember" (
    "chatRoomId" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "joinedAt" TIMESTAMP(3) NOT NULL,
    "offlineSince" TIMESTAMP(3),

    CONSTRAINT "ChatRoomMember_pkey" PRIMARY KEY ("chatRoomId","uid")
);

-- CreateTable
CREATE TABLE "ChatRoomMessage" (
    "id" BIGSERIAL NOT NULL,
    "chatRoomId" TEXT NOT NULL,
    "senderUid" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "sentAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChatRoomMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChatRoomWhitelist" (
    "chatRoomId" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "addedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChatRoomWhitelist_pkey" PRIMARY KEY ("chatRoomId","uid")
);

-- CreateTable
CREATE TABLE "ChatRoomBan" (
    "chatRoomId" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "bannedUntil" TIMESTAMP(3) NOT NULL,
    "bannedByUid" TEXT,

    CONSTRAINT "ChatRoomBan_pkey" PRIMARY KEY ("chatRoomId","uid")
);

-- CreateTable
CREATE TABLE "PresenceInstance" (
    "id" TEXT NOT NULL,
    "heardAt" TIMESTAMP(3) NOT NULL,
    "leaseExpiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PresenceInstance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PresenceConnection" (
    "id" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "openedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PresenceConnection_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ChatRoom_realtime_idx" ON "ChatRoom"("realtime");

-- CreateIndex
CREATE INDEX "ChatRoomMember_uid_idx" ON "ChatRoomMember"("uid");

-- CreateIndex
CREATE INDEX "ChatRoomMember_chatRoomId_joinedAt_uid_idx" ON "ChatRoomMember"("chatRoomId", "joinedAt", "uid");

-- CreateIndex
CREATE INDEX "ChatRoomMember_chatRoomId_offlineSince_idx" ON "ChatRoomMember"("chatRoomId", "offlineSince");

-- CreateIndex
CREATE INDEX "ChatRoomMessage_chatRoomId_sentAt_idx" ON "ChatRoomMessage"("chatRoomId", "sentAt");

-- CreateIndex
CREATE INDEX "PresenceConnection_uid_idx" ON "PresenceConnection"("uid");

-- CreateIndex
CREATE INDEX "PresenceConnection_instanceId_idx" ON "PresenceConnection"("instanceId");

-- AddForeignKey
ALTER TABLE "ChatRoomMember" ADD CONSTRAINT "ChatRoomMember_chatRoomId_fkey" FOREIGN KEY ("chatRoomId") REFERENCES "ChatRoom"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatRoomMember" ADD CONSTRAINT "ChatRoomMember_uid_fkey" FOREIGN KEY ("uid") REFERENCES "User"("uid") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatRoomMessage" ADD CONSTRAINT "ChatRoomMessage_chatRoomId_fkey" FOREIGN KEY ("chatRoomId") REFERENCES "ChatRoom"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatRoomWhitelist" ADD CONSTRAINT "ChatRoomWhitelist_chatRoomId_fkey" FOREIGN KEY ("chatRoomId") REFERENCES "ChatRoom"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatRoomWhitelist" ADD CONSTRAINT "ChatRoomWhitelist_uid_fkey" FOREIGN KEY ("uid") REFERENCES "User"("uid") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatRoomBan" ADD CONSTRAINT "ChatRoomBan_chatRoomId_fkey" FOREIGN KEY ("chatRoomId") REFERENCES "ChatRoom"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PresenceConnection" ADD CONSTRAINT "PresenceConnection_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "PresenceInstance"("id") ON DELETE CASCADE ON UPDATE CASCADE;
