import type { RoomErrorCode } from "../../../protocol/room-errors.ts";

/** The shared "no" of the room's pure rules; the DO turns it into an `error` frame with the same code. */
export type Refusal = { ok: false; code: RoomErrorCode; message: string };

export const refuse = (code: RoomErrorCode, message: string): Refusal => ({ ok: false, code, message });
