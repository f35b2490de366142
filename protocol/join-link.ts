/** The meeting page's address for a meeting: the page reads the meeting from the fragment (never sent to servers). */
export const meetingFragment = (meetingId: string) => `meeting=${encodeURIComponent(meetingId)}`;

/** The join link a person follows, on the page served at `pageOrigin` (invites, the page's copy button). */
export const joinLinkFor = (pageOrigin: string, meetingId: string) => `${pageOrigin}/#${meetingFragment(meetingId)}`;
