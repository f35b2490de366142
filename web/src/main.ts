/**
 * The web meeting page, served by the Worker as static assets at `/`.
 *
 * A signed-in person (sign-in-panel.ts) calls the API as themselves: their session cookie rides along on
 * same-origin requests and every change carries the session's CSRF token. They create and schedule meetings,
 * which they then host, and arrive in a meeting the way their profile's preferences say (microphone or camera off).
 *
 * Without a session, the demo-harness auth model: in production a browser never holds a tenant API key. The
 * tenant's own server creates meetings and mints short-lived join tokens, and the browser only ever sees a token
 * and a `connectUrl`. This page stands in for that tenant app in local demos, so it holds the key itself: the user
 * pastes it, or opens the page with `#key=emk_…` (printed by `npm run dev`; a URL fragment is never sent to
 * the server), and it is kept in this browser's localStorage. With it the page calls the REST API directly:
 * `POST /v1/meetings` to create and `POST /v1/meetings/{id}/tokens` to mint a token, then connects.
 * Each tab gets its own random identity (sessionStorage), so two tabs of one browser are two participants.
 */
import { ApiClient, ApiProblem, type JoinRole, type Meeting } from "./api-client.ts";
import { demoStorage } from "./demo-storage.ts";
import { createJoinForm } from "./join-form.ts";
import { LocalMedia } from "./local-media.ts";
import { MeetingSession } from "./meeting-session.ts";
import { joinLink, readPageAddress, showMeetingInAddress } from "./page-address.ts";
import { createScheduleForm } from "./schedule-form.ts";
import { createScheduledPanel } from "./scheduled-panel.ts";
import { createSignInPanel, readSignedIn, type SignedIn } from "./sign-in-panel.ts";
import { exposeTestHooks, idleTestHooks } from "./test-hooks.ts";
import { showToast } from "./toasts.ts";

const root = document.querySelector<HTMLElement>("#app") ?? document.body;

let inMeeting = false;
takeKeyFromAddress();
showStart();
// A link pasted into this tab's address bar changes only the fragment: no reload, so read it here.
window.addEventListener("hashchange", () => {
  takeKeyFromAddress();
  if (!inMeeting) showStart();
});

function takeKeyFromAddress(): void {
  const { apiKey, meetingId } = readPageAddress(window.location);
  if (!apiKey) return;
  demoStorage.setApiKey(apiKey);
  showMeetingInAddress(meetingId); // take the key out of the address bar
}

/** Read once at load: the address is rewritten (the key taken out) before the start screen shows. */
const tenantForSignIn = readPageAddress(window.location).tenantId;

function showStart(): void {
  inMeeting = false;
  exposeTestHooks(idleTestHooks);
  document.title = "Edge Meetings";
  void readSignedIn().then(renderStart);
}

/**
 * The start screen, with the signed-in person's name prefilled (their profile) when there is a session; then
 * every call goes as them, and no API key is asked for.
 */
function renderStart(signedIn: SignedIn | null): void {
  if (inMeeting) return;
  const { meetingId } = readPageAddress(window.location);
  const setBusy = (busy: boolean) => {
    form.setBusy(busy);
    schedule.setBusy(busy);
  };
  const act = (input: { apiKey: string; displayName: string }, action: (api: ApiClient) => Promise<void>) => {
    if (input.apiKey) demoStorage.setApiKey(input.apiKey);
    demoStorage.setDisplayName(input.displayName);
    void attempt(setBusy, () => action(clientFor(signedIn, input.apiKey)));
  };
  const schedule = createScheduleForm({
    timeZone: signedIn?.timeZone ?? null,
    onSchedule: (request) => {
      const input = form.read();
      if (!input) return;
      act(input, async (api) => {
        const meeting = await api.createMeeting(request);
        demoStorage.markHosting(meeting.id);
        showMeetingInAddress(meeting.id);
        showScheduled({ api, meeting, displayName: input.displayName, signedIn });
      });
    },
  });
  const form = createJoinForm({
    apiKey: demoStorage.apiKey() ?? "",
    // A signed-in person's profile names them; the name this browser last typed is for the demo harness.
    displayName: signedIn?.displayName || demoStorage.displayName(),
    meetingId,
    needsApiKey: !signedIn,
    signIn: createSignInPanel(signedIn, tenantForSignIn, () => showStart()),
    schedule: schedule.element,
    onCreate: ({ title, waitingRoom, ...input }) =>
      act(input, async (api) => {
        const meeting = await api.createMeeting({ title, waitingRoom });
        demoStorage.markHosting(meeting.id);
        showMeetingInAddress(meeting.id);
        await enter({ api, meetingId: meeting.id, title: meeting.title, role: "host", displayName: input.displayName, signedIn });
      }),
    onJoin: ({ meetingId: id, ...input }) =>
      act(input, async (api) => {
        const meeting = await api.getMeeting(id);
        // The tab that created the meeting rejoins as its host after a reload; everyone else is a participant.
        const role = demoStorage.isHosting(meeting.id) ? "host" : "participant";
        await enter({ api, meetingId: meeting.id, title: meeting.title, role, displayName: input.displayName, signedIn });
      }),
  });
  root.replaceChildren(form.element);
}

/** After scheduling: the invite to download, the link to share, and "Join now" as the meeting's host. */
function showScheduled(scheduled: { api: ApiClient; meeting: Meeting; displayName: string; signedIn: SignedIn | null }): void {
  const { api, meeting, displayName, signedIn } = scheduled;
  const panel = createScheduledPanel({
    meeting,
    joinLink: joinLink(window.location, meeting.id),
    locale: signedIn?.locale ?? undefined,
    fetchInvite: () => api.fetchInvite(meeting.id),
    onJoinNow: () =>
      void attempt(panel.setBusy, () => enter({ api, meetingId: meeting.id, title: meeting.title, role: "host", displayName, signedIn })),
    onDone: showStart,
    onError: reportError,
  });
  document.title = `${meeting.title} (scheduled) · Edge Meetings`;
  root.replaceChildren(panel.element);
}

/** Signed in: the API as that person. Otherwise the demo harness's tenant key. */
function clientFor(signedIn: SignedIn | null, apiKey: string): ApiClient {
  return new ApiClient(signedIn ? { kind: "session", csrfToken: signedIn.csrfToken } : { kind: "api_key", apiKey });
}

/** Runs a start-screen action with its buttons disabled; a failure enables them again and shows as a toast. */
async function attempt(setBusy: (busy: boolean) => void, action: () => Promise<void>): Promise<void> {
  setBusy(true);
  try {
    await action();
  } catch (error) {
    setBusy(false);
    reportError(error);
  }
}

function reportError(error: unknown): void {
  if (error instanceof ApiProblem) showToast(error.message, { code: error.code });
  else showToast(error instanceof Error ? error.message : String(error), { code: "page_error" });
}

interface Entry {
  api: ApiClient;
  meetingId: string;
  title: string;
  role: JoinRole;
  displayName: string;
  /** Whose preferences decide how this person arrives (null: no session, microphone and camera on). */
  signedIn: SignedIn | null;
}

async function enter({ api, meetingId, title, role, displayName, signedIn }: Entry): Promise<void> {
  const identity = demoStorage.identity();
  const requestedAt = performance.now();
  const minting = api
    .mintJoinToken(meetingId, { identity, name: displayName, role })
    .then((token) => ({ token, receivedAt: performance.now() }));
  const [{ token, receivedAt }, acquired] = await Promise.all([minting, LocalMedia.acquire()]);
  if (acquired.error) showToast(acquired.error);
  // Before the session exists: it reads the tracks' state as what it first tells the room.
  if (signedIn?.preferences.joinWithMicrophoneOff) acquired.media.setMuted("audio", true);
  if (signedIn?.preferences.joinWithCameraOff) acquired.media.setMuted("video", true);
  const address = readPageAddress(window.location);
  const session = new MeetingSession({
    api,
    meetingId,
    title,
    joinLink: joinLink(window.location, meetingId),
    identity,
    displayName,
    role,
    token,
    forceRelay: address.forceRelay,
    sampleIntervalMs: address.sampleIntervalMs,
    tokenTiming: { requestedAt, receivedAt },
    media: acquired.media,
    root,
    onExit: showStart,
  });
  inMeeting = true;
  session.start();
}
