/**
 * 1-based line and column of `offset` in `text`: for parsers that name only an offset (JSON.parse,
 * the YAML composer without a line counter).
 */
export function textPosition(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: before.length - lineStart + 1 };
}

/**
 * Where JSON.parse stopped: V8 names only an offset in its message ("at position 65"; Node.js 22
 * adds the line), and nothing when the text ended early, which is then where something is missing.
 */
export function jsonErrorOffset(message: string, text: string): number {
  const at = / at position (\d+)/.exec(message);
  return at ? Math.min(Number(at[1]), text.length) : text.length;
}

/** The JSON.parse message without the line Node.js 22 appends, for messages that give the line themselves. */
export function jsonErrorText(message: string): string {
  return message.replace(/ \(line \d+ column \d+\)$/, '');
}
