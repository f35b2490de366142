import { and, asc, eq } from "drizzle-orm";
import { chatMessages, outboxDeadLetters } from "../../schema/index.ts";
import { withDatabase } from "./stack.ts";

/** A meeting's archived chat, oldest first: what the room's chat outbox has written. */
export const storedChat = (tenantId: string, meetingId: string) =>
  withDatabase((db) =>
    db
      .select({ seq: chatMessages.seq, body: chatMessages.body })
      .from(chatMessages)
      .where(and(eq(chatMessages.tenantId, tenantId), eq(chatMessages.meetingId, meetingId)))
      .orderBy(asc(chatMessages.seq)),
  );

/** The records a meeting's outboxes gave up on. */
export const deadLettersOf = (tenantId: string, meetingId: string) =>
  withDatabase((db) =>
    db
      .select()
      .from(outboxDeadLetters)
      .where(and(eq(outboxDeadLetters.tenantId, tenantId), eq(outboxDeadLetters.meetingId, meetingId))),
  );
