/**
 * `text` cut to `max` UTF-16 units, an ellipsis last (never inside a surrogate pair: the result is
 * one unit shorter then). `max` must be at least 2. What is not longer than `max` is returned as is,
 * so a caller's common case costs one length check.
 *
 * A cut string is a copy: V8 makes a slice of a long string a view that keeps the whole one alive,
 * so a span that holds 256 units of a client's megabyte-long value would hold the megabyte (for as
 * long as the span lives, or an SDK exporter's queue keeps it). The copy (a UTF-16 round trip, exact
 * for any code units) costs only values that are cut.
 */
export function clip(text: string, max: number): string;
export function clip(text: string | undefined, max: number): string | undefined;
export function clip(text: string | undefined, max: number): string | undefined {
  if (text === undefined || text.length <= max) return text;
  // One unit is left for the ellipsis.
  const end = (text.charCodeAt(max - 2) & 0xfc00) === 0xd800 ? max - 2 : max - 1;
  return Buffer.from(`${text.slice(0, end)}…`, 'utf16le').toString('utf16le');
}
