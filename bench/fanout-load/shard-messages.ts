/** The contract between the fan-out bench (room-fanout.ts) and its load threads (shard.ts). */

/** Where one seat connects: one of the three systems the bench compares. */
export type SeatTarget =
  | { kind: "socketio"; url: string; token: string }
  /** Our protocol (hello, then chat_send) or the ceiling's (no hello, the frame it rebroadcasts as is). */
  | { kind: "ws"; url: string; deflate: boolean; protocol: "ours" | "ceiling" };

/** A client of the sweep: `position` orders the sends of a step (client p sends at p/n of each period). */
export interface Seat {
  position: number;
  target: SeatTarget;
}

export type ShardRequest =
  /** Joins the seats `concurrency` at a time; `keep: false` closes them once all have joined (the quiet joins). */
  | { type: "join"; id: number; seats: Seat[]; concurrency: number; keep: boolean }
  /**
   * One trial of a sweep step: every kept client sends `total` chat messages, `periodMs` apart from `startAt`
   * (shared clock), the first `warm` unmeasured; the shard then waits up to `drainMs` for every measured message
   * of all `clients` senders to reach each of its clients.
   */
  | {
      type: "step";
      id: number;
      name: string;
      clients: number;
      periodMs: number;
      warm: number;
      total: number;
      startAt: number;
      drainMs: number;
    }
  | { type: "close"; id: number };

export type ShardReply =
  | { type: "joined"; id: number; samples: number[]; wallMs: number; failure?: string }
  /** `latencies` in ms (sent → received, measured messages only); `lastReceivedAt` on the shared clock, 0 if none. */
  | { type: "stepped"; id: number; latencies: Float64Array; lastReceivedAt: number; refusals: number }
  | { type: "closed"; id: number }
  | { type: "failed"; id: number; message: string };
