import { ConduitError, ConfigError, encodeKeyPart } from '../core/index.js';

/**
 * Thrown by `render` when a field the template reads is missing or not a string, number or boolean
 * (`reason` `missing`), or, in a pattern, empty next to a `*` (`reason` `empty`).
 */
export class MissingTemplateFieldError extends ConduitError {
  declare readonly code: 'WEBHOOK_TEMPLATE_FIELD';
  constructor(
    readonly template: string,
    readonly field: string,
    readonly reason: 'missing' | 'empty' = 'missing',
  ) {
    super(
      'WEBHOOK_TEMPLATE_FIELD',
      reason === 'empty'
        ? `template ${JSON.stringify(template)}: field ${field} is empty, and next to "*" it would match every entry under the pattern's prefix`
        : `template ${JSON.stringify(template)}: field ${field} is missing or not a scalar in the payload`,
    );
  }
}

/**
 * How substituted values are escaped: `glob` escapes `* ? [ ] \` so a payload value can never widen an
 * invalidation pattern; `uri` percent-encodes them as one URI component, so `{data.id}` = "a b" renders
 * `items://a%20b`, the URI a client reads and subscribes to; `key` encodes them as the gateway's cache
 * key templates do (`encodeKeyPart`), so a rendered key or tag equals the one the tool stored, and a
 * pattern cannot be widened (the encoding leaves no glob character). `true` means `glob`.
 */
export type TemplateEscape = 'glob' | 'uri' | 'key' | boolean;

const GLOB_SPECIAL = /[*?[\]\\]/g;

/**
 * `resource:{data.id}` templates over a webhook payload, compiled once. A field must hold a string,
 * number or boolean; anything else (missing, null, object) makes `render` throw
 * `MissingTemplateFieldError` so the caller can skip the action rather than touch the wrong key.
 */
export class PayloadTemplate {
  private readonly literals: string[] = [];
  private readonly paths: string[][] = [];

  constructor(readonly source: string) {
    const re = /\{([^{}]*)\}/g;
    let last = 0;
    for (let m = re.exec(source); m !== null; m = re.exec(source)) {
      const path = m[1]!.trim();
      if (path.length === 0 || path.split('.').some((p) => p.length === 0)) {
        throw new ConfigError(
          `webhooks: template ${JSON.stringify(source)} has an empty field name in "${m[0]}"`,
        );
      }
      this.literals.push(source.slice(last, m.index));
      this.paths.push(path.split('.'));
      last = m.index + m[0].length;
    }
    const rest = source.slice(last);
    if (/[{}]/.test(rest) || this.literals.some((l) => /[{}]/.test(l))) {
      throw new ConfigError(`webhooks: template ${JSON.stringify(source)} has an unbalanced "{" or "}"`);
    }
    this.literals.push(rest);
  }

  /**
   * Renders against `payload`, escaping substituted values as `escaping` says (none by default). As a
   * `pattern`, a hole next to a `*` must not be empty: `assignment:{data.id}*` with an empty id would
   * be `assignment:*`, every entry under the prefix.
   */
  render(payload: unknown, escaping: TemplateEscape = false, pattern = false): string {
    let out = this.literals[0]!;
    for (let i = 0; i < this.paths.length; i++) {
      const path = this.paths[i]!;
      let value: unknown = payload;
      for (const part of path) {
        if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) {
          value = undefined;
          break;
        }
        value = (value as Record<string, unknown>)[part];
      }
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new MissingTemplateFieldError(this.source, path.join('.'));
      }
      const text = String(value);
      if (pattern && text === '' && this.nextToStar(i))
        throw new MissingTemplateFieldError(this.source, path.join('.'), 'empty');
      const escaped =
        escaping === 'uri'
          ? encodeURIComponent(text)
          : escaping === 'key'
            ? encodeKeyPart(text)
            : escaping
              ? text.replace(GLOB_SPECIAL, '\\$&')
              : text;
      out += escaped + this.literals[i + 1]!;
    }
    return out;
  }

  /** Whether hole `i` touches a glob `*` written in the template (not an escaped `\\*`). */
  private nextToStar(i: number): boolean {
    const before = this.literals[i]!;
    return this.literals[i + 1]!.startsWith('*') || (before.endsWith('*') && !before.endsWith('\\*'));
  }
}
