import type { DispatcherAddress } from "../../webhooks/core/lane-shards.ts";
import { unpersisted, type StoredChatMessage } from "../core/chat-log.ts";
import type { RoomEvent, RoomState } from "../core/room-state.ts";
import { roomKeys } from "../core/storage-keys.ts";
import type { QueryDatabase } from "../../db/database.ts";
import type { OutboxQueue } from "./outbox.ts";
import { flushChat } from "./room-persistence.ts";

/**
 * A message waits this long for the ones after it before its flush starts, so a room chatting a few messages a
 * second writes them in one statement rather than one each. Acknowledged messages are already durable in the room's
 * storage, and the room serves recent history from there, so only Postgres readers (search, the archive, old pages)
 * see them this much later.
 */
export const chatGatherMs = 250;

/**
 * The chat outbox: every message (or edit) the room acknowledged and Postgres does not have yet, read from the
 * room's own state. Rows are upserted by seq, each independent of the others, so messages pass one that is
 * backing off; a written or dead-lettered message is settled through the reducer (it may then leave the window).
 */
export function chatOutboxQueue(
  room: {
    state: () => RoomState | undefined;
    dispatch: (event: RoomEvent) => Promise<void>;
  },
  pokeWebhooks: (dispatchers: DispatcherAddress[]) => void,
): OutboxQueue<StoredChatMessage, QueryDatabase> {
  const versions = (messages: readonly StoredChatMessage[]) => messages.map((m) => ({ seq: m.seq, revision: m.revision }));
  return {
    name: "chat",
    ordered: false,
    batchSize: 100,
    gatherMs: chatGatherMs,
    pending: () => {
      const state = room.state();
      return state ? unpersisted(state.chat) : [];
    },
    // From the newest: in a chatting room the last message is the one not yet written.
    anyPending: () => room.state()?.chat.messages.findLast((m) => !m.persisted),
    keyOf: (message) => roomKeys.chat(message.seq),
    deadLetterKey: (message) => `chat:${message.seq}@${message.revision}`,
    write: async (db, keys, messages) => pokeWebhooks(await flushChat(db, keys, messages)),
    settle: async (written, deadLettered) => {
      if (written.length) await room.dispatch({ kind: "chat_persisted", flushed: versions(written) });
      if (deadLettered.length) await room.dispatch({ kind: "chat_dead_lettered", messages: versions(deadLettered) });
    },
  };
}
