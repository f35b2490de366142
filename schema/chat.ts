import { sql } from "drizzle-orm";
import { bigint, check, foreignKey, index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tenantId, timestamptz } from "./columns.ts";
import { meetings } from "./meetings.ts";

export interface ChatAttachment {
  objectKey: string;
  contentType: string;
  sizeBytes: number;
  name: string;
}

export const chatMessages = pgTable(
  "chat_messages",
  {
    id: id(),
    tenantId: tenantId(),
    meetingId: uuid("meeting_id").notNull(),
    /** Client-generated id: a resent message is recognised and stored once. */
    clientMessageId: text("client_message_id").notNull(),
    /** Order assigned by the meeting's Durable Object. */
    seq: bigint("seq", { mode: "number" }).notNull(),
    senderIdentity: text("sender_identity").notNull(),
    body: text("body").notNull(),
    attachments: jsonb("attachments").$type<ChatAttachment[]>().notNull().default([]),
    reactions: jsonb("reactions").$type<Record<string, string[]>>().notNull().default({}),
    createdAt: createdAt(),
    editedAt: timestamptz("edited_at"),
    deletedAt: timestamptz("deleted_at"),
  },
  (t) => [
    // Client ids are only unique per sender: two people may pick the same one.
    uniqueIndex("chat_messages_client_id_uq").on(t.tenantId, t.meetingId, t.senderIdentity, t.clientMessageId),
    uniqueIndex("chat_messages_seq_uq").on(t.tenantId, t.meetingId, t.seq),
    index("chat_messages_history_idx").on(t.tenantId, t.meetingId, t.seq.desc()),
    foreignKey({ columns: [t.tenantId, t.meetingId], foreignColumns: [meetings.tenantId, meetings.id] }),
    check("chat_messages_body_len_ck", sql`char_length(${t.body}) <= 8000`),
  ],
);
