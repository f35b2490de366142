import { randomId } from "./random-id.ts";

/**
 * Browser storage of the demo harness. The API key and display name live in localStorage (shared by every
 * tab of this browser); the participant identity lives in sessionStorage, so two tabs are two participants.
 */
const keys = {
  apiKey: "edge-meetings.apiKey",
  displayName: "edge-meetings.displayName",
  identity: "edge-meetings.identity",
  hostedMeeting: (meetingId: string) => `edge-meetings.hosts.${meetingId}`,
};

export const demoStorage = {
  apiKey: (): string | null => localStorage.getItem(keys.apiKey),
  setApiKey: (value: string): void => localStorage.setItem(keys.apiKey, value),
  displayName: (): string => localStorage.getItem(keys.displayName) ?? "",
  setDisplayName: (value: string): void => localStorage.setItem(keys.displayName, value),

  /** A random identity per tab, kept across reloads of that tab so a reload resumes as the same person. */
  identity(): string {
    let identity = sessionStorage.getItem(keys.identity);
    if (!identity) {
      identity = `web-${randomId(8)}`;
      sessionStorage.setItem(keys.identity, identity);
    }
    return identity;
  },

  /** Remembers that this tab created the meeting, so reloading it rejoins as host rather than participant. */
  markHosting: (meetingId: string): void => sessionStorage.setItem(keys.hostedMeeting(meetingId), "1"),
  isHosting: (meetingId: string): boolean => sessionStorage.getItem(keys.hostedMeeting(meetingId)) === "1",
};
