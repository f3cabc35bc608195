import { didYouMean } from './did-you-mean.js';

/**
 * Why a hole of a tool's cache key, tag or invalidation template names no argument of the tool.
 * Webhook templates read dotted payload fields (`{data.id}`); tool templates take whole arguments
 * by name, so `{c.d}` is one name, "c.d", that no argument has: say so, and which name to use.
 */
export function unknownHoleProblem(hole: string, argumentNames: readonly string[]): string {
  const name = hole.trim();
  const dotted = name.includes('.');
  const whole = 'tool templates take whole arguments by name (dotted paths are for webhook templates)';
  const first = name.split('.')[0]!;
  if (dotted && argumentNames.includes(first))
    return `{${hole}} reads a field of the argument "${first}": ${whole}; use {${first}}`;
  if (dotted) {
    const known = argumentNames.map((n) => `{${n}}`).join(', ');
    return `{${hole}} is not an input property of this tool: ${whole}; ${known ? `its arguments are ${known}` : 'it has no arguments'}`;
  }
  const hint = didYouMean(name, argumentNames);
  return `{${hole}} is not an input property of this tool${hint ? ` (did you mean {${hint}}?)` : ''}`;
}
