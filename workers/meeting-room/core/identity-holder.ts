import type { RoomState } from "./room-state.ts";

/** Who minted a join token: a signed-in person's user id, or nobody named (the tenant's server, by API key). */
export interface TokenMinter {
  mintedBy?: string | undefined;
}

/**
 * Whether a token may take an identity the room already holds (a seat, a place in the lobby, an open socket). A
 * second connection with the same identity replaces the first, as a reconnect or a new tab must, and the seat goes
 * with it, role included. So the taker must be the holder: a token minted by the same signed-in person, or by the
 * tenant's server, which speaks for all of its users. Without this, a member could mint a token naming the host
 * and take the host's seat and powers.
 */
export function mayTakeIdentity(holder: TokenMinter | undefined, taker: TokenMinter): boolean {
  return holder === undefined || taker.mintedBy === undefined || taker.mintedBy === holder.mintedBy;
}

/** The identity's holder in the room's state: its seat, else its place in the lobby. */
export function identityHolder(state: RoomState, identity: string): TokenMinter | undefined {
  return state.members[identity] ?? state.lobby.queue.find((entry) => entry.identity === identity);
}
