/**
 * Text from a document, on its way out. A document is third-party input: its strings may carry
 * terminal escapes (ESC, BEL), NULs or newlines that would draw fake lines in `conduit init` and
 * `validate` output, or control a client's display of a tool.
 */

/** `text` as a message shows it: every control character escaped (`\u001b`, `\n`), so it stays one line. */
export function shown(text: string): string {
  return text.replace(/\p{Cc}/gu, escaped);
}

/** As {@link shown}, but newlines kept: for messages that are laid out on several lines on purpose. */
export function shownKeepingLines(text: string): string {
  return text.replace(/(?!\n)\p{Cc}/gu, escaped);
}

/** `text` as a tool publishes it (descriptions, titles): control characters dropped but tab and newline. */
export function publishedText(text: string): string {
  return text.replace(/(?![\t\n])\p{Cc}/gu, '');
}

function escaped(c: string): string {
  return c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
