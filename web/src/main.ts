/**
 * The web meeting page, served by the Worker as static assets at `/`.
 *
 * Demo-harness auth model: in production a browser never holds a tenant API key. The tenant's own server
 * creates meetings and mints short-lived join tokens, and the browser only ever sees a token and a
 * `connectUrl`. This page stands in for that tenant app in local demos, so it holds the key itself: the user
 * pastes it, or opens the page with `#key=emk_…` (printed by `npm run dev`; a URL fragment is never sent to
 * the server), and it is kept in this browser's localStorage. With it the page calls the REST API directly:
 * `POST /v1/meetings` to create and `POST /v1/meetings/{id}/tokens` to mint a token, then connects.
 * Each tab gets its own random identity (sessionStorage), so two tabs of one browser are two participants.
 */
import { ApiClient, ApiProblem, type JoinRole } from "./api-client.ts";
import { demoStorage } from "./demo-storage.ts";
import { createJoinForm } from "./join-form.ts";
import { createSignInPanel, readSignedIn, type SignedIn } from "./sign-in-panel.ts";
import { LocalMedia } from "./local-media.ts";
import { MeetingSession } from "./meeting-session.ts";
import { joinLink, readPageAddress, showMeetingInAddress } from "./page-address.ts";
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

/** The start screen, with the signed-in person's name prefilled (their profile) when there is a session. */
function renderStart(signedIn: SignedIn | null): void {
  if (inMeeting) return;
  const { meetingId } = readPageAddress(window.location);
  const form = createJoinForm({
    apiKey: demoStorage.apiKey() ?? "",
    displayName: demoStorage.displayName() || (signedIn?.displayName ?? ""),
    meetingId,
    signIn: createSignInPanel(signedIn, tenantForSignIn, () => showStart()),
    onCreate: ({ apiKey, displayName, title, waitingRoom }) =>
      void run(form.setBusy, apiKey, displayName, async (api) => {
        const meeting = await api.createMeeting({ title, waitingRoom });
        demoStorage.markHosting(meeting.id);
        showMeetingInAddress(meeting.id);
        await enter(api, meeting.id, meeting.title, "host", displayName);
      }),
    onJoin: ({ apiKey, displayName, meetingId: id }) =>
      void run(form.setBusy, apiKey, displayName, async (api) => {
        const meeting = await api.getMeeting(id);
        // The tab that created the meeting rejoins as its host after a reload; everyone else is a participant.
        await enter(api, meeting.id, meeting.title, demoStorage.isHosting(meeting.id) ? "host" : "participant", displayName);
      }),
  });
  root.replaceChildren(form.element);
}

async function run(
  setBusy: (busy: boolean) => void,
  apiKey: string,
  displayName: string,
  action: (api: ApiClient) => Promise<void>,
): Promise<void> {
  demoStorage.setApiKey(apiKey);
  demoStorage.setDisplayName(displayName);
  setBusy(true);
  try {
    await action(new ApiClient(apiKey));
  } catch (error) {
    setBusy(false);
    if (error instanceof ApiProblem) showToast(error.message, { code: error.code });
    else showToast(error instanceof Error ? error.message : String(error), { code: "page_error" });
  }
}

async function enter(api: ApiClient, meetingId: string, title: string, role: JoinRole, displayName: string): Promise<void> {
  const identity = demoStorage.identity();
  const requestedAt = performance.now();
  const minting = api
    .mintJoinToken(meetingId, { identity, name: displayName, role })
    .then((token) => ({ token, receivedAt: performance.now() }));
  const [{ token, receivedAt }, acquired] = await Promise.all([minting, LocalMedia.acquire()]);
  if (acquired.error) showToast(acquired.error);
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
