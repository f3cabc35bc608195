import type { FixedValueConfig } from '../../config/index.js';
import { ConfigError, type Principal } from '../../core/index.js';
import { hasPrincipalHoles, PrincipalText } from './principal-template.js';

type Fixed = { name: string; value: unknown } | { name: string; text: PrincipalText };

/**
 * Parameters the config fixes (`fixed:`): sent on every call, never shown to the model. Compiled once
 * per tool; a string with `{auth.…}` holes is filled from the caller's principal per call.
 */
export class FixedArguments {
  private readonly entries: Fixed[] = [];
  /** Fixed names whose value depends on the caller (their value must be part of a cache key). */
  readonly fromCaller: string[] = [];

  constructor(fixed: Readonly<Record<string, FixedValueConfig>> | undefined, toolName: string) {
    for (const [name, given] of Object.entries(fixed ?? {})) {
      if (typeof given === 'string' && hasPrincipalHoles(given)) {
        this.entries.push({ name, text: new PrincipalText(given, `tools.${toolName}.fixed.${name}`) });
        this.fromCaller.push(name);
      } else {
        const value = given !== null && typeof given === 'object' ? given.value : given;
        if (value === undefined)
          throw new ConfigError(`tools.${toolName}.fixed.${name}: give a value ({ value: … })`);
        this.entries.push({ name, value });
      }
    }
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  get names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** The arguments to send: the client's plus the fixed ones, which win (a fresh object). */
  apply(args: Readonly<Record<string, unknown>>, who: Principal): Record<string, unknown> {
    const out: Record<string, unknown> = { ...args };
    for (const e of this.entries) out[e.name] = 'text' in e ? e.text.render(who) : e.value;
    return out;
  }
}

/**
 * The input schema the model sees: the tool's own without the fixed parameters, with descriptions
 * replaced where `argumentDescriptions` says. Built once per tool.
 */
export function publishedInput(
  input: Record<string, unknown>,
  hidden: readonly string[],
  descriptions: Readonly<Record<string, string>> | undefined,
  toolName: string,
): Record<string, unknown> {
  if (hidden.length === 0 && descriptions === undefined) return input;
  const properties = { ...((input.properties ?? {}) as Record<string, Record<string, unknown>>) };
  for (const name of hidden) delete properties[name];
  for (const [name, description] of Object.entries(descriptions ?? {})) {
    const schema = properties[name];
    if (schema === undefined)
      throw new ConfigError(
        `tools.${toolName}.argumentDescriptions.${name}: the tool has no argument "${name}" the model sees (${Object.keys(properties).join(', ') || 'none'})`,
      );
    properties[name] = { ...schema, description };
  }
  const out: Record<string, unknown> = { ...input, properties };
  if (Array.isArray(input.required)) {
    const required = (input.required as string[]).filter((n) => !hidden.includes(n));
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  return out;
}
