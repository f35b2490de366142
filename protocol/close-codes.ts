/** WebSocket close codes of the meeting room (4000–4999 is the application range). */
export const closeCodes = { ended: 4000, removed: 4001, replaced: 4002, denied: 4003, timeout: 4004, refused: 4005 } as const;
export type CloseCode = (typeof closeCodes)[keyof typeof closeCodes];

/** Closes after which a client must not reconnect on its own: the meeting is over for it. */
export const terminalCloseCodes: ReadonlySet<number> = new Set([closeCodes.ended, closeCodes.removed, closeCodes.denied]);
