import type { ParticipantRole } from "../protocol/roles.ts";

/**
 * What a media-server (LiveKit) access token may do, from the holder's meeting role and the meeting's media
 * policy. Pure: the adapter turns the result into a signed token. Rules:
 *  - host, cohost: publish camera, microphone and screen share; subscribe.
 *  - participant: publish `participantSources` (default all three); subscribe.
 *  - guest: publish `guestSources` (default all three) only when `guestsCanPublish`; always subscribe.
 *  - recorder (our own service identity, never a join-token role): subscribe only, hidden, flagged as recorder.
 *  - nobody gets `roomAdmin`: moderation goes through the meeting room, which checks roles and keeps the
 *    roster true; an admin token in a browser could mute, remove or re-permission anyone behind its back.
 *  - nobody may publish data or update their own metadata: chat and reactions go through the meeting room
 *    (validated, rate limited, stored), and names come from the join token.
 *  - TTL: short (it only has to last until the client connects; LiveKit refreshes it afterwards),
 *    default 10 minutes, clamped to [1 min, 1 h].
 */

export type MediaRole = ParticipantRole | "recorder";

export const mediaSources = ["camera", "microphone", "screen_share"] as const;
export type MediaSource = (typeof mediaSources)[number];

export interface MediaPolicy {
  guestsCanPublish: boolean;
  /** What a guest may publish when `guestsCanPublish`; default every source. */
  guestSources?: readonly MediaSource[];
  /** What a participant may publish; default every source (e.g. `["camera", "microphone"]` bars screen share). */
  participantSources?: readonly MediaSource[];
}

/** The LiveKit video grant, in LiveKit's own field names; `canPublishSources` empty means nothing may be published. */
export interface MediaGrant {
  roomJoin: true;
  room: string;
  canPublish: boolean;
  canPublishSources: MediaSource[];
  canSubscribe: boolean;
  canPublishData: false;
  canUpdateOwnMetadata: false;
  roomAdmin: false;
  hidden: boolean;
  recorder: boolean;
}

export interface MediaAccess {
  grant: MediaGrant;
  ttlSeconds: number;
}

export const mediaTokenTtl = { defaultSeconds: 600, minSeconds: 60, maxSeconds: 3600 } as const;

interface RoleCapabilities {
  sources: (policy: MediaPolicy) => readonly MediaSource[];
  hidden: boolean;
  recorder: boolean;
}

const everySource = (): readonly MediaSource[] => mediaSources;

const capabilities: Record<MediaRole, RoleCapabilities> = {
  host: { sources: everySource, hidden: false, recorder: false },
  cohost: { sources: everySource, hidden: false, recorder: false },
  participant: { sources: (policy) => policy.participantSources ?? mediaSources, hidden: false, recorder: false },
  guest: { sources: (policy) => (policy.guestsCanPublish ? (policy.guestSources ?? mediaSources) : []), hidden: false, recorder: false },
  recorder: { sources: () => [], hidden: true, recorder: true },
};

/** Clamps a requested TTL; anything not a finite number falls back to the default. */
export function mediaTokenTtlSeconds(requested?: number): number {
  if (requested === undefined || !Number.isFinite(requested)) return mediaTokenTtl.defaultSeconds;
  return Math.min(mediaTokenTtl.maxSeconds, Math.max(mediaTokenTtl.minSeconds, Math.floor(requested)));
}

export function mediaAccess(input: { role: MediaRole; room: string; policy: MediaPolicy; ttlSeconds?: number }): MediaAccess {
  const role = capabilities[input.role];
  // Deduplicated, in a stable order, and only known sources: the policy may come from stored JSON.
  const allowed = new Set(role.sources(input.policy));
  const sources = mediaSources.filter((source) => allowed.has(source));
  return {
    grant: {
      roomJoin: true,
      room: input.room,
      // LiveKit reads an empty `canPublishSources` as "any source", so "none" must be `canPublish: false`.
      canPublish: sources.length > 0,
      canPublishSources: sources,
      canSubscribe: true,
      canPublishData: false,
      canUpdateOwnMetadata: false,
      roomAdmin: false,
      hidden: role.hidden,
      recorder: role.recorder,
    },
    ttlSeconds: mediaTokenTtlSeconds(input.ttlSeconds),
  };
}
