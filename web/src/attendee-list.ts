import { z } from "zod";

/**
 * The schedule form's attendees box: addresses separated by commas, semicolons or new lines, each either
 * `ana@example.com`, `Ana Lima <ana@example.com>` or `"Lima, Ana" <ana@example.com>`. Checked with zod's email rule, the one the API applies.
 */
export interface Attendee {
  email: string;
  name?: string;
}

const email = z.email().max(254);
const named = /^(.*?)\s*<([^<>]*)>$/;
/** Entries end at a comma, semicolon or new line outside double quotes ("Lima, Ana" <ana@example.com> is one). */
const entryPattern = /(?:"[^"]*"|[^,;\n"])+/g;

/** The attendees, once each, and every entry that is not an address (quoted back to the person as typed). */
export function parseAttendees(text: string): { attendees: Attendee[]; invalid: string[] } {
  const attendees = new Map<string, Attendee>();
  const invalid: string[] = [];
  for (const entry of (text.match(entryPattern) ?? []).map((item) => item.trim())) {
    if (!entry) continue;
    const match = named.exec(entry);
    const address = (match ? (match[2] ?? "") : entry).trim().toLowerCase();
    const name = match?.[1]
      ?.replace(/^"(.*)"$/, "$1")
      .trim()
      .slice(0, 200);
    if (!email.safeParse(address).success) invalid.push(entry);
    else if (!attendees.has(address)) attendees.set(address, name ? { email: address, name } : { email: address });
  }
  return { attendees: [...attendees.values()], invalid };
}
