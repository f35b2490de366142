import type { MediaRoomEvent, SfuSession } from "../../../protocol/media-events.ts";

/**
 * What the room knows of its media on the SFU, as LiveKit's webhooks report it: whether the SFU room is up,
 * who is connected to it and which sources each publishes. Pure; unchanged input returns the same object.
 */
export interface MediaPresence {
  sfuActive: boolean;
  /** identity → published sources (LiveKit's names: CAMERA, MICROPHONE, SCREEN_SHARE, …). */
  onSfu: Record<string, string[]>;
  /** Latest status per egress (recording/streaming) job. */
  egress: Record<string, string>;
  /** Open SFU sessions by identity: billed by the room itself if their node dies without reporting the leave. */
  sessions?: Record<string, SfuSession>;
}

export const emptyMediaPresence = (): MediaPresence => ({ sfuActive: false, onSfu: {}, egress: {} });

export function applyMediaEvent(presence: MediaPresence, event: MediaRoomEvent): MediaPresence {
  switch (event.kind) {
    case "sfu_room":
      if (event.active === presence.sfuActive && (event.active || !Object.keys(presence.onSfu).length)) return presence;
      // A finished room has nobody left on it, whatever webhooks went missing.
      return { ...presence, sfuActive: event.active, onSfu: event.active ? presence.onSfu : {} };
    case "sfu_participant": {
      const present = event.identity in presence.onSfu;
      if (present === event.connected) return presence;
      const { [event.identity]: _closed, ...otherSessions } = presence.sessions ?? {};
      if (event.connected) {
        const sessions = event.session ? { ...otherSessions, [event.identity]: event.session } : otherSessions;
        return { ...presence, sfuActive: true, onSfu: { ...presence.onSfu, [event.identity]: [] }, sessions };
      }
      const { [event.identity]: _gone, ...rest } = presence.onSfu;
      return { ...presence, onSfu: rest, sessions: otherSessions };
    }
    case "sfu_track": {
      const sources = presence.onSfu[event.identity] ?? [];
      const has = sources.includes(event.source);
      if (has === event.published) return presence;
      const next = event.published ? [...sources, event.source].sort() : sources.filter((s) => s !== event.source);
      return { ...presence, sfuActive: true, onSfu: { ...presence.onSfu, [event.identity]: next } };
    }
    case "egress":
      if (presence.egress[event.egressId] === event.status) return presence;
      return { ...presence, egress: { ...presence.egress, [event.egressId]: event.status } };
    default:
      return event satisfies never;
  }
}
