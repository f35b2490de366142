/**
 * The CSV export of usage records (RFC 4180: CRLF, quoted when needed). A cell that a spreadsheet would run as a
 * formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`, since source ids and identities come from
 * outside. Pure.
 */
export const usageCsvColumns = [
  "id",
  "meter",
  "unit",
  "quantity",
  "meeting_id",
  "source",
  "source_id",
  "period_start",
  "period_end",
  "adjustment_of",
  "recorded_at",
] as const;

export type UsageCsvRow = Record<(typeof usageCsvColumns)[number], string | number | null>;

export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvHeader = () => `${usageCsvColumns.join(",")}\r\n`;

export const csvLine = (row: UsageCsvRow) => `${usageCsvColumns.map((column) => csvCell(row[column])).join(",")}\r\n`;
